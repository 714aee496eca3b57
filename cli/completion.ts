/**
 * `patronus completion bash|zsh`: completion scripts made from the command table, so a new
 * command completes without editing a script by hand.
 */
import { UsageError } from './io'

/** Command -> its subcommands ([] for a command without any). */
export type CommandTree = Record<string, string[]>

const GLOBAL_FLAGS = ['--json', '--server', '--help']

export function bashCompletion(tree: CommandTree): string {
  const cases = Object.entries(tree)
    .filter(([, subs]) => subs.length > 0)
    .map(([command, subs]) => `    ${command}) words="${subs.join(' ')}" ;;`)
    .join('\n')
  return `# patronus bash completion: eval "$(patronus completion bash)"
_patronus() {
  local cur words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  if [[ \${COMP_CWORD} -eq 1 ]]; then
    words="${Object.keys(tree).join(' ')}"
  elif [[ \${COMP_CWORD} -eq 2 ]]; then
    case "\${COMP_WORDS[1]}" in
${cases}
    *) words="${GLOBAL_FLAGS.join(' ')}" ;;
    esac
  else
    words="${GLOBAL_FLAGS.join(' ')}"
  fi
  COMPREPLY=( $(compgen -W "\${words}" -- "\${cur}") )
}
complete -o default -F _patronus patronus
`
}

export function zshCompletion(tree: CommandTree): string {
  const cases = Object.entries(tree)
    .filter(([, subs]) => subs.length > 0)
    .map(([command, subs]) => `    ${command}) compadd -- ${subs.join(' ')} ;;`)
    .join('\n')
  return `#compdef patronus
# patronus zsh completion: eval "$(patronus completion zsh)" (after compinit)
_patronus() {
  if (( CURRENT == 2 )); then
    compadd -- ${Object.keys(tree).join(' ')}
  elif (( CURRENT == 3 )); then
    case \${words[2]} in
${cases}
    *) compadd -- ${GLOBAL_FLAGS.join(' ')} ;;
    esac
  else
    compadd -- ${GLOBAL_FLAGS.join(' ')}
  fi
}
compdef _patronus patronus
`
}

export function completionScript(shell: string | undefined, tree: CommandTree): string {
  if (shell === 'bash') return bashCompletion(tree)
  if (shell === 'zsh') return zshCompletion(tree)
  throw new UsageError('completion: bash or zsh')
}
