/**
 * The repository is self-contained in what it cites: every tracked source and doc file
 * (`git ls-files`) names only paths inside the checkout and cites the design documents
 * under docs/, and no string literal in agent/, worker/ or protocol/ (the messages users
 * see) cites an issue number. Public specs and URLs are fine; the detectors are in
 * citations.ts and issue-numbers.ts beside this file.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DESIGN_DOCS, outsideReferences, treeOf } from './citations.ts'
import { issueNumbersInLiterals, mentionsIssueNumber } from './issue-numbers.ts'

const ROOT = new URL('../../', import.meta.url)

/** Text files people read or the build runs; binaries, data and lockfiles carry no citations. */
const SCANNED = /\.(ts|tsx|mjs|js|md|c|h|sh|json|toml|sql|yaml|yml|py|html|css|wit)$/
const SCANNED_NAMES = new Set(['.ci/run', '.npmrc', '.gitignore'])

/**
 * Tracked text files of a scanned kind that are not scanned, each with its reason; nothing
 * else is skipped.
 */
const NOT_SCANNED = new Map([
  ['package-lock.json', 'written by npm; it names only the registry and package URLs'],
])

/** Code whose string literals reach users: the agent, the control plane and the wire types. */
const MESSAGE_CODE = /^(agent|worker|protocol)\/.*\.(ts|tsx|mjs|js)$/

function trackedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
  return out.split('\0').filter((path) => path !== '')
}

function read(path: string): string {
  return readFileSync(new URL(path, ROOT), 'utf8')
}

// The fixtures below are assembled from pieces so that this file does not itself spell out
// the references it refuses (the repository scan reads this file too).
const WORK = '/wo' + 'rk/'
const NOTES = 'shared' + '/design'
const UP = '..' + '/'
const LAB = 'lab' + '.md'
const HOUSE = 'house' + '-style'

describe('the detectors', () => {
  const tree = treeOf(['docs/lab.md', 'docs/house-style.md', 'wasm/shared/instance.ts'])
  const lines = (file: string, text: string) =>
    outsideReferences(file, text, tree).map((p) => p.line)

  it('refuse absolute paths into the work directory and the shared notes', () => {
    expect(lines('agent/x.ts', `ok\n// see ${WORK}${NOTES}/${LAB}`)).toEqual([2, 2, 2])
  })

  it('resolve relative paths into shared/: a tracked sibling passes, a folder beside the repo does not', () => {
    expect(lines('wasm/fec/fec.ts', `import '${UP}shared/instance.js'`)).toEqual([])
    expect(lines('agent/x.ts', `// ${UP}${UP}shared/notes.md`)).toEqual([1])
    expect(lines('docs/a.md', `[notes](${UP}shared/notes.md)`)).toEqual([1])
  })

  it('accept a design doc only where it resolves to a tracked file in docs/', () => {
    expect(lines('agent/x.ts', `// (docs/${LAB}: rp_filter)`)).toEqual([])
    expect(lines('docs/a.md', `see [the lab](${LAB})`)).toEqual([])
    expect(lines('agent/x.ts', `// (${LAB}: rp_filter)`)).toEqual([1])
    expect(lines('agent/x.ts', `// docs/toolchain.md`)).toEqual([1])
    expect(lines('agent/x.ts', `// col${LAB} and https://example.org/${LAB}`)).toEqual([])
    expect(DESIGN_DOCS).toContain('house-style')
  })

  it('refuse a numbered house-style rule without its file', () => {
    expect(lines('agent/x.ts', `// (${HOUSE} rule 5)\n// (${HOUSE.replace('-', ' ')} 3)`)).toEqual([
      1, 2,
    ])
    expect(lines('agent/x.ts', ` * scoped (${HOUSE}\n * rule 7)`)).toEqual([1])
    expect(lines('agent/x.ts', `// (docs/${HOUSE}.md, rule 5)`)).toEqual([])
  })

  it('find issue numbers in literals, not in comments or other uses of #', () => {
    const source = [
      '// issue 9 in a comment is not a message',
      "throw new Error('needs the classifier (issue 10)')",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source text, not a template
      'log(`moved ${n} paths, see #12`)',
      "const key = 'PKCS#8'",
      "const colour = '#1f2937'",
    ].join('\n')
    expect(issueNumbersInLiterals('x.ts', source).map((h) => h.line)).toEqual([2, 3])
    expect(mentionsIssueNumber('Issue #4')).toBe(true)
    expect(mentionsIssueNumber('tissue 4')).toBe(false)
  })
})

describe('the repository', () => {
  const files = trackedFiles()
  const tree = treeOf(files)

  it('has the design documents it cites under docs/', () => {
    const missing = DESIGN_DOCS.map((name) => `docs/${name}.md`).filter((p) => !tree.files.has(p))
    expect(missing).toEqual([])
  })

  it('cites no path outside itself and every design doc by its docs/ path', () => {
    const problems: string[] = []
    for (const file of files) {
      if (NOT_SCANNED.has(file)) continue
      if (!SCANNED.test(file) && !SCANNED_NAMES.has(file)) continue
      for (const p of outsideReferences(file, read(file), tree)) {
        problems.push(`${file}:${p.line}: ${p.message}`)
      }
    }
    expect(problems).toEqual([])
  })

  it('puts no issue number in a string literal of agent/, worker/ or protocol/', () => {
    const hits: string[] = []
    for (const file of files.filter((f) => MESSAGE_CODE.test(f))) {
      for (const hit of issueNumbersInLiterals(file, read(file))) {
        hits.push(`${file}:${hit.line}: ${JSON.stringify(hit.text)}`)
      }
    }
    expect(hits).toEqual([])
  })
})
