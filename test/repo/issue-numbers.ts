/**
 * Issue numbers in what users read: thrown errors, log lines, CLI output, problem+json
 * details and test names are string literals, and a ticket number in one means nothing to
 * someone who runs the code without the tracker. TypeScript's own parser finds the literals
 * (a hand-rolled scanner would trip on regex literals and nested templates); each literal's
 * text is then matched against two fixed patterns, so the whole pass is linear.
 */
import ts from 'typescript'

export interface LiteralHit {
  line: number
  text: string
}

/**
 * "issue 9", "Issue #12", "issues 4", or a bare "#12" standing alone: "PKCS#8" is glued to a
 * word, "&#39;" is an HTML entity and "#1f2937" a colour, none of them a ticket.
 */
const ISSUE_NUMBER = /\bissues? ?#?\d|(?<![\w&#])#\d+\b/i

export function mentionsIssueNumber(text: string): boolean {
  return ISSUE_NUMBER.test(text)
}

function isStringLike(node: ts.Node): node is ts.LiteralLikeNode {
  return (
    ts.isStringLiteral(node) ||
    ts.isNoSubstitutionTemplateLiteral(node) ||
    ts.isTemplateHead(node) ||
    ts.isTemplateMiddle(node) ||
    ts.isTemplateTail(node) ||
    ts.isJsxText(node)
  )
}

/** Every string literal (and template piece, and JSX text) in `source` that cites an issue. */
export function issueNumbersInLiterals(fileName: string, source: string): LiteralHit[] {
  const kind = fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, kind)
  const hits: LiteralHit[] = []
  const visit = (node: ts.Node): void => {
    if (isStringLike(node) && mentionsIssueNumber(node.text)) {
      const { line } = file.getLineAndCharacterOfPosition(node.getStart(file))
      hits.push({ line: line + 1, text: node.text })
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  return hits
}
