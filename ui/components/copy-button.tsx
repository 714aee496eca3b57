import { useState } from 'preact/hooks'

/** Copies text to the clipboard; says so in a live region. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState<'' | 'copied' | 'failed'>('')
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text)
      setDone('copied')
    } catch {
      setDone('failed')
    }
    setTimeout(() => setDone(''), 2000)
  }
  return (
    <span class="copy">
      <button type="button" onClick={copy}>
        {label}
      </button>
      <span role="status" class="muted">
        {done === 'copied' ? 'Copied' : done === 'failed' ? 'Copy failed: select the text' : ''}
      </span>
    </span>
  )
}
