/**
 * Shell command lines the dashboard shows for copying into a root shell (docs/security.md, finding
 * 2). Every value becomes exactly one POSIX shell word, whatever it holds: the server and
 * stored uplink data are not trusted to be free of quotes, `$()`, backticks or newlines.
 */
import { quote } from 'shell-quote'

/**
 * Characters no POSIX shell treats specially in a word (the set Python's shlex.quote leaves
 * bare). shell-quote also backslash-escapes `:`, `=` and `,`, which turns every URL and
 * `NAME=IFACE,endpoint=HOST:PORT` into noise; such words stay as they are, for a command an
 * admin can read before running it.
 */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/

/** One value as one shell word: bare when plain, otherwise quoted by shell-quote. */
export function shellWord(value: string): string {
  return PLAIN.test(value) ? value : quote([value])
}

/** The words joined into a command line; each word stays one argument. */
export function shellCommand(words: readonly string[]): string {
  return words.map(shellWord).join(' ')
}
