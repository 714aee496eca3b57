/**
 * docs/operations.md must not rot: every `npm run <script>` it quotes exists in
 * package.json, every `patronus-agent <command>` exists, every flag given to the agent is
 * one its CLI declares (agent/cli/), and every flag passed through `npm run <script> --` is
 * one that script's entry declares. A cheap static check: a renamed flag or script fails
 * here instead of in an operator's shell.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (path: string) => readFileSync(posix.join(ROOT, path), 'utf8')

const DOC = read('docs/operations.md')
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts
const AGENT_CLI = readdirSync(posix.join(ROOT, 'agent/cli'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => read(`agent/cli/${f}`))
  .join('\n')

/** The doc's commands: code block lines (backslash continuations joined) and inline code. */
function commandsOf(markdown: string): { blocks: string[]; inline: string[] } {
  const blocks: string[] = []
  for (const [, body = ''] of markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)) {
    blocks.push(...body.replace(/\\\n\s*/g, ' ').split('\n'))
  }
  const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '')
  // Inline spans may wrap across a line break in the prose.
  const inline = [...prose.matchAll(/`([^`]+)`/g)].map(([, s = '']) => s.replace(/\s+/g, ' '))
  return { blocks, inline }
}

const FLAG = /(?<![\w-])--([a-z][a-z0-9-]*)/g
const flagsIn = (text: string) => [...text.matchAll(FLAG)].map(([, name = '']) => name)

/** Whether a node:util parseArgs options object in `source` declares `--name`. */
function declaresFlag(source: string, name: string): boolean {
  const key = name.includes('-') ? `'${name}'` : `(?:'${name}'|\\b${name})`
  return new RegExp(`${key}\\s*:\\s*\\{\\s*type:`).test(source)
}

/** The file a `tsx <file>.ts` script runs, or undefined for any other script. */
function scriptEntry(script: string): string | undefined {
  return /^tsx (\S+\.ts)$/.exec(scripts[script] ?? '')?.[1]
}

const { blocks, inline } = commandsOf(DOC)
const commands = [...blocks, ...inline]

describe('docs/operations.md', () => {
  it('quotes only npm scripts that package.json has', () => {
    const quoted = new Set<string>()
    for (const c of commands) {
      for (const [, name = ''] of c.matchAll(/\bnpm run ([\w:-]+)/g)) quoted.add(name)
      for (const [, name = ''] of c.matchAll(/\bnpm (start|test)\b/g)) quoted.add(name)
    }
    expect(quoted.size).toBeGreaterThan(2)
    expect([...quoted].filter((name) => !(name in scripts))).toEqual([])
  })

  it('passes `npm run <script> -- ...` only flags the script declares', () => {
    const passed = commands.flatMap((c) =>
      [...c.matchAll(/\bnpm run ([\w:-]+) -- ([^|;&]*)/g)].map(([, script = '', args = '']) => ({
        script,
        args,
      })),
    )
    expect(passed.length).toBeGreaterThan(0)
    for (const { script, args } of passed) {
      const entry = scriptEntry(script)
      expect(entry, `npm run ${script} takes no arguments we can check`).toBeDefined()
      const source = read(entry ?? '')
      for (const flag of flagsIn(args)) {
        expect(declaresFlag(source, flag), `npm run ${script} -- --${flag}`).toBe(true)
      }
    }
  })

  it('runs only patronus-agent commands and flags that agent/cli declares', () => {
    const agentCommands = commands.filter((c) => /\bpatronus-agent\b/.test(c))
    expect(agentCommands.length).toBeGreaterThan(3)
    const unknown: string[] = []
    for (const c of agentCommands) {
      const sub = /\bpatronus-agent(?:\.js)? ([a-z]+)/.exec(c)?.[1]
      if (sub && !new RegExp(`^\\s*${sub}: \\w+Command,`, 'm').test(read('agent/cli/cli.ts'))) {
        unknown.push(`patronus-agent ${sub}`)
      }
      for (const flag of flagsIn(c.slice(c.indexOf('patronus-agent')))) {
        if (!declaresFlag(AGENT_CLI, flag)) unknown.push(`--${flag} in: ${c}`)
      }
    }
    expect(unknown).toEqual([])
  })

  it('names in prose only flags the agent or a quoted script declares', () => {
    // An inline `--flag ...` on its own is an agent flag, or one of a script run with `--`.
    const sources = [AGENT_CLI]
    for (const c of commands) {
      for (const [, script = ''] of c.matchAll(/\bnpm run ([\w:-]+) --/g)) {
        const entry = scriptEntry(script)
        if (entry) sources.push(read(entry))
      }
    }
    const bare = inline.filter((s) => s.startsWith('--')).flatMap(flagsIn)
    expect(bare.length).toBeGreaterThan(5)
    expect(bare.filter((flag) => !sources.some((s) => declaresFlag(s, flag)))).toEqual([])
  })
})
