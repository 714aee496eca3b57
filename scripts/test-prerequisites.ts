/**
 * What `npm test` needs from the machine besides node_modules, and what to do when some of it
 * is missing. The pure part (`planPrerequisites`) decides; `ensurePrerequisites` carries the
 * decision out through an injected host, so the tests need no root, no apt and no Debian.
 *
 * The packages are the ones scripts/setup-debian.sh installs (a test keeps the two lists
 * equal). Each is probed by what the tests actually use from it (a command on PATH or a file),
 * which is cheap (no process per package) and also works on a machine that is not Debian.
 */

/** How to tell that a package is there: a command on PATH, or a file. */
export type Probe = { command: string } | { file: string }

export interface Requirement {
  /** The Debian package that provides it. */
  pkg: string
  probe: Probe
  /**
   * Only the WAN lab suites use it. They need root and are skipped, loudly, for any other
   * user, so a non-root `npm test` does not need these.
   */
  labOnly: boolean
}

const lab = (pkg: string, probe: Probe): Requirement => ({ pkg, probe, labOnly: true })
const always = (pkg: string, probe: Probe): Requirement => ({ pkg, probe, labOnly: false })

/** In the order of scripts/setup-debian.sh. */
export const REQUIREMENTS: readonly Requirement[] = [
  // The LZ4 interop test (test:node) checks our frames against the reference CLI.
  always('lz4', { command: 'lz4' }),
  lab('iproute2', { command: 'ip' }),
  lab('nftables', { command: 'nft' }),
  lab('iputils-ping', { command: 'ping' }),
  lab('iperf3', { command: 'iperf3' }),
  lab('wireguard-go', { command: 'wireguard-go' }),
  lab('wireguard-tools', { command: 'wg' }),
  lab('procps', { command: 'pgrep' }),
  lab('bird2', { command: 'bird' }),
  // The dashboard suite (test:ui) drives Debian's chromium at this exact path.
  always('chromium', { file: '/usr/bin/chromium' }),
  // The agent package test (test:node) compiles the eBPF objects the package ships.
  always('clang', { command: 'clang' }),
  lab('llvm', { command: 'llvm-strip' }),
  always('libbpf-dev', { file: '/usr/include/bpf/bpf_helpers.h' }),
  lab('bpftool', { command: 'bpftool' }),
  // The lab's TLS fixtures are made with the openssl CLI (not in a minimal Debian).
  lab('openssl', { command: 'openssl' }),
]

export const SETUP_COMMAND = 'sudo scripts/setup-debian.sh'

export interface Machine {
  isRoot: boolean
  isDebian: boolean
  present(probe: Probe): boolean
}

export type Plan =
  | { action: 'nothing' }
  | { action: 'install'; packages: string[] }
  | { action: 'fail'; message: string }

function describe(r: Requirement): string {
  return 'command' in r.probe ? `${r.pkg} (${r.probe.command})` : `${r.pkg} (${r.probe.file})`
}

/**
 * Root runs every suite, the lab included, so it needs everything; anyone else needs only
 * what the non-lab suites use. A missing package is installed when we can (root on Debian),
 * otherwise the run stops at once naming the packages and the command that installs them.
 */
export function planPrerequisites(machine: Machine): Plan {
  const needed = REQUIREMENTS.filter((r) => machine.isRoot || !r.labOnly)
  const missing = needed.filter((r) => !machine.present(r.probe))
  if (missing.length === 0) return { action: 'nothing' }
  const names = missing.map(describe).join(', ')
  if (machine.isRoot && machine.isDebian) {
    return { action: 'install', packages: missing.map((r) => r.pkg) }
  }
  if (!machine.isDebian) {
    return {
      action: 'fail',
      message:
        `npm test: missing ${names}. scripts/setup-debian.sh installs them on Debian; ` +
        'elsewhere install them with the system package manager, then run npm test again.',
    }
  }
  return {
    action: 'fail',
    message:
      `npm test: missing ${names}, which the unit and dashboard suites need. ` +
      `Install them once with:  ${SETUP_COMMAND}  then run npm test again.`,
  }
}

export interface PretestIo {
  /** One line for the person or CI log watching the run. */
  say(line: string): void
  /** Runs scripts/setup-debian.sh (as root); resolves to its exit code. */
  runSetup(): Promise<number>
}

/** Returns the exit code for the pretest: 0 to let `npm test` go on. */
export async function ensurePrerequisites(machine: Machine, io: PretestIo): Promise<number> {
  const plan = planPrerequisites(machine)
  if (plan.action === 'nothing') return 0
  if (plan.action === 'fail') {
    io.say(plan.message)
    return 1
  }
  io.say(
    `npm test: installing the Debian packages the tests need: ${plan.packages.join(' ')} ` +
      '(scripts/setup-debian.sh, as root)',
  )
  const code = await io.runSetup()
  if (code !== 0) {
    io.say(`npm test: scripts/setup-debian.sh failed (exit ${code}); see its output above.`)
    return 1
  }
  // The install said it worked; make sure the probes agree before minutes of tests start.
  const after = planPrerequisites(machine)
  if (after.action !== 'nothing') {
    const left = after.action === 'install' ? after.packages.join(' ') : after.message
    io.say(`npm test: still missing after scripts/setup-debian.sh: ${left}`)
    return 1
  }
  return 0
}
