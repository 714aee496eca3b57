import type { ComponentChildren } from 'preact'

interface Props {
  id: string
  label: string
  /** The server's message for this field, shown next to it and linked for screen readers. */
  error?: string | undefined
  hint?: string
  children: (aria: {
    id: string
    'aria-invalid': boolean
    'aria-describedby': string | undefined
  }) => ComponentChildren
}

/** A labelled control with its hint and its validation error beside it. */
export function Field({ id, label, error, hint, children }: Props) {
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean)
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      {children({
        id,
        'aria-invalid': Boolean(error),
        'aria-describedby': described.length ? described.join(' ') : undefined,
      })}
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p class="field-error" id={`${id}-error`} role="alert" data-field-error={id}>
          {error}
        </p>
      ) : null}
    </div>
  )
}
