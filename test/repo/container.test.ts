/**
 * The container image (Dockerfile, .dockerignore) and compose.yaml, checked statically:
 * no Docker engine runs where the tests do and hadolint is not packaged for Debian. The
 * properties are the ones a broken image would only show at its first start: what
 * `npm start` loads is in the runtime stage, the process is not root, the health check
 * asks /readyz, and the compose file points the control plane at its sqld.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import {
  copiedTo,
  copiesOf,
  dockerignorePatterns,
  envOf,
  execForm,
  instructionsOf,
  parseDockerfile,
  passesDockerignore,
  type Stage,
  workdirOf,
} from './dockerfile'
import { importClosure } from './import-closure'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (path: string) => readFileSync(posix.join(ROOT, path), 'utf8')

const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> }
const dockerfile = parseDockerfile(read('Dockerfile'))
const ignore = dockerignorePatterns(read('.dockerignore'))
const runtime = dockerfile.stages.at(-1) as Stage
const runtimeWorkdir = workdirOf(runtime)

/** `tsx some/file.ts` in a package.json script: the file it runs. */
function tsxEntry(script: string): string {
  const entry = /^tsx (\S+\.ts)$/.exec(pkg.scripts[script] ?? '')?.[1]
  if (!entry) throw new Error(`package.json "${script}" is not "tsx <file>.ts"`)
  return entry
}

/** The stages whose RUN lines contain `text`. */
const stagesRunning = (text: string) =>
  dockerfile.stages.filter((s) => instructionsOf(s, 'RUN').some((r) => r.args.includes(text)))

/** Where the runtime stage has a build-context file, if a COPY carries it there. */
function runtimePathOf(path: string): string | undefined {
  for (const copy of copiesOf(runtime)) {
    if (copy.from !== undefined) continue
    const target = copiedTo(copy, path)
    if (target !== undefined) return target
  }
  return undefined
}

describe('Dockerfile', () => {
  it('is multi-stage and the runtime stage is the last one', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2)
    expect(runtime.name).toBe('runtime')
  })

  it('pins every base image to a version: no latest, no bare name', () => {
    const stageNames = new Set(dockerfile.stages.map((s) => s.name))
    for (const { image } of dockerfile.stages) {
      if (stageNames.has(image)) continue
      expect(image, 'a tag or digest').toMatch(/[:@]/)
      expect(image).not.toMatch(/:latest$/)
    }
  })

  it('builds what `npm start` builds first (prestart) in a build stage', () => {
    const prestart = pkg.scripts.prestart ?? ''
    expect(prestart).toMatch(/^npm run \S+$/)
    const builders = stagesRunning(prestart)
    expect(builders.length).toBeGreaterThan(0)
    expect(builders).not.toContain(runtime)
  })

  it('installs production dependencies only for the runtime', () => {
    const deps = stagesRunning('npm ci').filter((s) =>
      instructionsOf(s, 'RUN').some((r) => /npm ci\b[^&]*--omit=dev/.test(r.args)),
    )
    expect(deps.length).toBe(1)
    const nodeModules = copiesOf(runtime).filter((c) =>
      c.sources.some((s) => /node_modules/.test(s)),
    )
    expect(nodeModules.map((c) => c.from)).toEqual([deps[0]?.name])
    expect(instructionsOf(runtime, 'RUN').some((r) => /\bnpm (ci|install)\b/.test(r.args))).toBe(
      false,
    )
  })

  it('starts the entry `npm start` runs, with tsx, as PID 1 (no npm in between)', () => {
    const cmd = execForm(instructionsOf(runtime, 'CMD').at(-1)?.args ?? '')
    expect(cmd).toEqual(['node', '--import', 'tsx', tsxEntry('start')])
  })

  it('copies every file `npm start` and `npm run admin` import into the runtime stage', () => {
    const { modules } = importClosure(ROOT, [tsxEntry('start'), tsxEntry('admin')])
    // package.json says "type": "module" (how Node and tsx load the sources); tsx reads
    // tsconfig.json to compile them as the tests do.
    const needed = [...modules, 'package.json', 'tsconfig.json']
    const missing = needed.filter(
      (path) => runtimePathOf(path) !== posix.join(runtimeWorkdir, path),
    )
    expect(missing, 'not copied to the same path under WORKDIR').toEqual([])
    const ignored = needed.filter((path) => !passesDockerignore(ignore, path))
    expect(ignored, 'left out of the build context by .dockerignore').toEqual([])
  })

  it('carries what the server reads at start: the dashboard build and the shipped models', () => {
    const { readPaths } = importClosure(ROOT, [tsxEntry('start')])
    expect([...readPaths].sort()).toEqual(['dist/ui', 'models'])
    // dist/ui is build output: copied from the stage that ran the dashboard build.
    const builder = stagesRunning(pkg.scripts.prestart ?? '')[0] as Stage
    const fromBuilder = copiesOf(runtime).filter((c) => c.from === builder.name)
    const builtAt = posix.join(workdirOf(builder), 'dist/ui')
    expect(
      fromBuilder.some((c) => copiedTo(c, builtAt) === posix.join(runtimeWorkdir, 'dist/ui')),
    ).toBe(true)
    // models/<id>/model.onnx + model.json (worker/node-models.ts) are in the source tree.
    const modelFiles = readdirSync(posix.join(ROOT, 'models'), { withFileTypes: true })
      .filter(
        (d) => d.isDirectory() && existsSync(posix.join(ROOT, 'models', d.name, 'model.onnx')),
      )
      .flatMap((d) => [`models/${d.name}/model.onnx`, `models/${d.name}/model.json`])
    expect(modelFiles.length).toBeGreaterThan(0)
    for (const file of modelFiles) {
      expect(runtimePathOf(file), file).toBe(posix.join(runtimeWorkdir, file))
      expect(passesDockerignore(ignore, file), file).toBe(true)
    }
  })

  it('gives the dashboard build every file it imports', () => {
    // The build stage copies the whole (allow-listed) context: the list must let through
    // the vite config, the dashboard's entry and everything they import (worker/api/...).
    const entry = /<script[^>]*src="\.\/([^"]+)"/.exec(read('ui/index.html'))?.[1]
    expect(entry).toBeDefined()
    const { modules } = importClosure(ROOT, ['ui.vite.config.ts', `ui/${entry}`])
    expect([...modules].filter((path) => !passesDockerignore(ignore, path))).toEqual([])
  })

  it('keeps node_modules, local data, build output and secrets out of the build context', () => {
    for (const path of [
      'node_modules/hono/package.json',
      'data/patronus.db',
      'dist/ui/index.html',
      '.dev.vars',
      '.git/HEAD',
      'worker/app.test.ts',
      'models/data/x.npy',
    ]) {
      expect(passesDockerignore(ignore, path), path).toBe(false)
    }
  })

  it('runs as a non-root user', () => {
    const users = instructionsOf(runtime, 'USER').map((u) => u.args.split(':')[0])
    expect(users.length).toBeGreaterThan(0)
    expect(['root', '0']).not.toContain(users.at(-1))
    // The USER line comes before CMD, so it applies to the process.
    const keywords = runtime.instructions.map((i) => i.keyword)
    expect(keywords.lastIndexOf('USER')).toBeLessThan(keywords.lastIndexOf('CMD'))
  })

  it('checks health on /readyz with node (no curl in the image)', () => {
    const [healthcheck] = instructionsOf(runtime, 'HEALTHCHECK')
    const command = execForm(healthcheck?.args.replace(/^(--\S+\s+)*CMD\s+/, '') ?? '')
    expect(command?.[0]).toBe('node')
    expect(command?.join(' ')).toContain('/readyz')
    expect(command?.join(' ')).toContain('process.env.PORT')
  })

  it('listens on all interfaces on the exposed port and keeps the database in a volume', () => {
    const env = envOf(runtime)
    expect(env.get('HOST')).toBe('0.0.0.0')
    expect(instructionsOf(runtime, 'EXPOSE').map((e) => e.args)).toEqual([env.get('PORT')])
    const url = env.get('DATABASE_URL') ?? ''
    expect(url).toMatch(/^file:\//)
    const volumes = instructionsOf(runtime, 'VOLUME').flatMap((v) => execForm(v.args) ?? [v.args])
    expect(volumes).toContain(posix.dirname(url.slice('file:'.length)))
  })
})

interface ComposeService {
  image?: string
  build?: string | { context?: string }
  environment?: Record<string, string>
  depends_on?: Record<string, { condition?: string }>
  healthcheck?: { test?: string[] }
  ports?: string[]
  read_only?: boolean
  tmpfs?: string[]
}

describe('compose.yaml', () => {
  const compose = parseYaml(read('compose.yaml')) as { services: Record<string, ComposeService> }
  const services = compose.services
  const control = Object.values(services).find((s) => s.build !== undefined) as ComposeService
  const sqldName = Object.keys(services).find((name) =>
    services[name]?.image?.startsWith('ghcr.io/tursodatabase/libsql-server:'),
  )

  it('builds the control plane from this Dockerfile and runs sqld beside it', () => {
    expect(control).toBeDefined()
    const context = typeof control.build === 'string' ? control.build : control.build?.context
    expect(context).toBe('.')
    expect(sqldName).toBeDefined()
  })

  it('pins every image to a version', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.image === undefined) continue
      expect(service.image, name).toMatch(/:[\w.-]+$/)
      expect(service.image, name).not.toMatch(/:latest$/)
    }
  })

  it('points DATABASE_URL at the sqld service and waits for it to be healthy', () => {
    const url = new URL(control.environment?.DATABASE_URL ?? '')
    expect(['http:', 'libsql:', 'ws:']).toContain(url.protocol)
    expect(url.hostname).toBe(sqldName)
    // The libsql-server image's HTTP listener (SQLD_HTTP_LISTEN_ADDR defaults to :8080).
    const listen = services[sqldName ?? '']?.environment?.SQLD_HTTP_LISTEN_ADDR ?? '0.0.0.0:8080'
    expect(url.port).toBe(listen.split(':').at(-1))
    expect(control.depends_on?.[sqldName ?? '']?.condition).toBe('service_healthy')
    expect(services[sqldName ?? '']?.healthcheck?.test?.join(' ')).toContain('/health')
  })

  it('publishes the port the image exposes, read-only with a tmpfs /tmp', () => {
    const exposed = instructionsOf(runtime, 'EXPOSE')[0]?.args
    expect(control.ports?.map((p) => p.split(':').at(-1))).toEqual([exposed])
    expect(control.read_only).toBe(true)
    expect(control.tmpfs).toContain('/tmp')
  })
})
