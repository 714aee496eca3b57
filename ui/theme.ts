/**
 * Light or dark: the system preference unless the operator chose, remembered per browser.
 * The choice is a data-theme attribute on <html>; styles.css holds both palettes.
 */
import { useEffect, useState } from 'preact/hooks'

export type Theme = 'light' | 'dark'
const KEY = 'patronus.theme'

const systemTheme = (): Theme =>
  window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'

export function currentTheme(): Theme {
  const chosen = localStorage.getItem(KEY)
  return chosen === 'dark' || chosen === 'light' ? chosen : systemTheme()
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset['theme'] = theme
  window.dispatchEvent(new CustomEvent('patronus-theme', { detail: theme }))
}

export function useTheme(): [Theme, (theme: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(currentTheme)
  useEffect(() => {
    const update = () => setTheme(currentTheme())
    window.addEventListener('patronus-theme', update)
    return () => window.removeEventListener('patronus-theme', update)
  }, [])
  return [
    theme,
    (next) => {
      localStorage.setItem(KEY, next)
      applyTheme(next)
    },
  ]
}

/** A colour from the active palette, for canvases (charts, topology) that cannot use CSS. */
export const cssColor = (name: string): string =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim()
