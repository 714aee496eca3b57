/**
 * Just enough of a Dockerfile and .dockerignore reader for container.test.ts to check the
 * image statically: no Docker engine runs where the tests do, and hadolint is not packaged
 * for Debian. Covers what the repository's Dockerfile uses (line continuations, comments,
 * global ARG defaults in FROM, COPY with --from, exec-form CMD / HEALTHCHECK), not the
 * whole grammar (heredocs, parser directives other than the syntax line, escape changes).
 */
import { posix } from 'node:path'

export interface Instruction {
  keyword: string
  /** Everything after the keyword, continuations joined with a space. */
  args: string
}

export interface Stage {
  /** The image after FROM, ARG defaults substituted. */
  image: string
  name: string | undefined
  instructions: Instruction[]
}

export interface Dockerfile {
  /** ARG defaults declared before the first FROM (the only ones FROM may use). */
  globalArgs: Map<string, string>
  stages: Stage[]
}

export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = []
  let pending = ''
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    // A comment line inside a continued instruction is dropped, as Docker does.
    if (line.startsWith('#') || (line === '' && pending === '')) continue
    const continued = line.endsWith('\\')
    pending += `${continued ? line.slice(0, -1).trim() : line} `
    if (continued) continue
    const [keyword = '', ...rest] = pending.trim().split(/\s+/)
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' ') })
    pending = ''
  }
  const globalArgs = new Map<string, string>()
  const stages: Stage[] = []
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(/\s+/)
      stages.push({
        image: substitute(image, globalArgs),
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      })
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [key = '', value = ''] = instruction.args.split('=', 2)
      globalArgs.set(key, value)
    } else {
      stages.at(-1)?.instructions.push(instruction)
    }
  }
  return { globalArgs, stages }
}

function substitute(value: string, args: Map<string, string>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args.get(a ?? b) ?? '')
}

export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword)
}

/** An exec-form argument list (`["node", "-e", "..."]`), or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined
  return JSON.parse(args) as string[]
}

/** `KEY=value` pairs of the stage's ENV instructions (unquoted values only). */
export function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>()
  for (const { args } of instructionsOf(stage, 'ENV')) {
    for (const pair of args.split(/\s+/)) {
      const eq = pair.indexOf('=')
      if (eq > 0) env.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
  }
  return env
}

export interface Copy {
  /** The stage named by --from, or undefined for the build context. */
  from: string | undefined
  sources: string[]
  /** The destination, made absolute against the stage's WORKDIR at that point. */
  destination: string
}

/** The stage's COPY instructions, destinations resolved against WORKDIR. */
export function copiesOf(stage: Stage): Copy[] {
  const copies: Copy[] = []
  let workdir = '/'
  for (const { keyword, args } of stage.instructions) {
    if (keyword === 'WORKDIR') workdir = posix.resolve(workdir, args)
    if (keyword !== 'COPY') continue
    const words = args.split(/\s+/)
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length)
    const paths = words.filter((w) => !w.startsWith('--'))
    const destination = paths.pop() ?? ''
    const absolute = posix.resolve(workdir, destination)
    copies.push({
      from,
      sources: paths,
      // A trailing slash is meaningful (copy *into* the directory): keep it.
      destination: destination.endsWith('/') ? `${absolute}/` : absolute,
    })
  }
  return copies
}

/** The stage's WORKDIR after all its instructions. */
export function workdirOf(stage: Stage): string {
  let workdir = '/'
  for (const { args } of instructionsOf(stage, 'WORKDIR')) {
    workdir = posix.resolve(workdir, args)
  }
  return workdir
}

/**
 * Where a COPY puts `path` (a file under one of its sources, relative to the context or
 * to the source stage's root), or undefined if that COPY does not carry it.
 */
export function copiedTo(copy: Copy, path: string): string | undefined {
  for (const source of copy.sources) {
    const dir = source.replace(/\/+$/, '')
    if (path === dir) {
      const intoDir = copy.destination.endsWith('/') || copy.sources.length > 1
      return intoDir ? posix.join(copy.destination, posix.basename(path)) : copy.destination
    }
    if (path.startsWith(`${dir}/`)) {
      return posix.join(copy.destination, path.slice(dir.length + 1))
    }
  }
  return undefined
}

/**
 * Whether a context path survives .dockerignore: the last pattern that matches the path or
 * one of its parent directories decides, `!` patterns let it back in (Docker's rules).
 */
export function passesDockerignore(patterns: readonly string[], path: string): boolean {
  let included = true
  for (const pattern of patterns) {
    const exception = pattern.startsWith('!')
    const regex = globRegex(posix.normalize(exception ? pattern.slice(1) : pattern))
    const parts = path.split('/')
    const matches = parts.some((_, i) => regex.test(parts.slice(0, i + 1).join('/')))
    if (matches) included = exception
  }
  return included
}

export function dockerignorePatterns(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
}

function globRegex(glob: string): RegExp {
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` is any number of directories, `**` at the end anything.
      source += glob[i + 2] === '/' ? '(?:.*/)?' : '.*'
      i += glob[i + 2] === '/' ? 2 : 1
    } else if (c === '*') source += '[^/]*'
    else if (c === '?') source += '[^/]'
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}
