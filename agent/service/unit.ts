/**
 * The systemd unit of the agent, as a pure function of its options (no I/O), so that what
 * `patronus-agent install` writes is unit tested and `systemd-analyze verify`-ed.
 *
 * Hardening: the agent runs as root (the state directory and its keys are root's since
 * `enroll`) but only with the capabilities its work needs, as both the bounding and the
 * ambient set, on a read-only file system except its state directory, /proc/sys/net and
 * /run/wireguard. Why each capability is there:
 * - CAP_NET_ADMIN: WireGuard devices (kernel generic netlink, or the TUN of wireguard-go and
 *   of the optimizer tunnel), rtnetlink routes, rules and addresses, tc filters.
 * - CAP_NET_RAW: SO_BINDTODEVICE on the optimizer's per-path UDP sockets.
 * - with the eBPF classifier (`--lan-interface`) only: CAP_BPF (program and map loading),
 *   CAP_PERFMON (the verifier's pointer rules for tc programs) and CAP_SYS_ADMIN, because
 *   bpftool reaches the loaded program and its maps by id (BPF_*_GET_FD_BY_ID), which the
 *   kernel still reserves to CAP_SYS_ADMIN; kernels before 5.8 also need it to load at all.
 * Not set, on purpose: ProtectKernelTunables (the classifier's tc may mount bpffs under
 * /sys), ProtectClock and PrivateDevices (they restrict devices, and the TUNs need
 * /dev/net/tun), MemoryDenyWriteExecute (V8 compiles to executable memory), a system call
 * filter or RestrictAddressFamilies (tc and bpftool, children of the agent, use bpf(2) and
 * families that vary with the iproute2 build).
 * Sysctl writes (forwarding, rp_filter) need no capability: the agent is root, the owner of
 * /proc/sys; ReadWritePaths keeps them possible under any later ProtectKernelTunables.
 */

/** Where install writes the unit (tests pass a temporary path). */
export const UNIT_NAME = 'patronus-agent.service'
export const DEFAULT_UNIT_PATH = `/etc/systemd/system/${UNIT_NAME}`

export const BASE_CAPABILITIES = ['CAP_NET_ADMIN', 'CAP_NET_RAW'] as const
export const CLASSIFIER_CAPABILITIES = ['CAP_BPF', 'CAP_PERFMON', 'CAP_SYS_ADMIN'] as const

/** Exit codes after which a restart cannot help: 2 usage (the unit's own arguments), 3 revoked. */
export const NO_RESTART_EXIT_CODES = [2, 3] as const

export interface UnitOptions {
  /** Absolute path of the node executable. */
  node: string
  /** Absolute path of agent/bin/patronus-agent.js. */
  script: string
  /** Absolute state directory, passed as --state-dir. */
  stateDir: string
  /** Further `run` arguments (e.g. --lan-interface eth1), each quoted for systemd. */
  runArgs: readonly string[]
}

export class UnitOptionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnitOptionError'
  }
}

/** The `run` arguments ask for the eBPF classifier (and so its capabilities). */
export function usesClassifier(runArgs: readonly string[]): boolean {
  return runArgs.some((a) => a === '--lan-interface' || a.startsWith('--lan-interface='))
}

export function capabilitiesFor(runArgs: readonly string[]): string[] {
  return usesClassifier(runArgs)
    ? [...BASE_CAPABILITIES, ...CLASSIFIER_CAPABILITIES]
    : [...BASE_CAPABILITIES]
}

/** Characters that need no quoting in a systemd command line (no specifier, no variable). */
const PLAIN = /^[A-Za-z0-9_.,/:=+@-]+$/

/**
 * One argument of a systemd command line (systemd.service(5) "Command lines"): plain when
 * it is made of safe characters only, else double-quoted with `\` and `"` escaped. `%`
 * (specifiers) and `$` (environment variables) are expanded even inside quotes, so they are
 * doubled. Control characters (a newline would end the directive and start a new one) are
 * refused rather than escaped: no legitimate argument has one.
 */
export function quoteExecArg(arg: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  if (/[\u0000-\u001f\u007f]/.test(arg)) {
    throw new UnitOptionError(`argument ${JSON.stringify(arg)} contains a control character`)
  }
  const doubled = arg.replaceAll('%', '%%').replaceAll('$', '$$$$')
  if (PLAIN.test(arg)) return doubled
  return `"${doubled.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

/** What ExecStart= runs: node, the agent script, `run --state-dir DIR`, then runArgs. */
export function execStartArgv(options: UnitOptions): string[] {
  return [options.node, options.script, 'run', '--state-dir', options.stateDir, ...options.runArgs]
}

/** The ExecStart= value: execStartArgv, each argument quoted for systemd. */
export function execStartLine(options: UnitOptions): string {
  checkPaths(options)
  return execStartArgv(options).map(quoteExecArg).join(' ')
}

/** Directories the unit hides from the agent: ProtectHome=yes and PrivateTmp=yes. */
const HIDDEN = ['/home', '/root', '/run/user', '/tmp', '/var/tmp']

const hiddenBy = (path: string) => HIDDEN.find((h) => path === h || path.startsWith(`${h}/`))

/**
 * Refuses paths the service could not use: relative ones, and ones the sandbox hides (a
 * node from nvm under /root, a checkout in a home directory) which would fail at every start.
 */
export function checkPaths(options: UnitOptions): void {
  for (const [what, path] of [
    ['node', options.node],
    ['agent script', options.script],
    ['state directory', options.stateDir],
  ] as const) {
    if (!path.startsWith('/')) throw new UnitOptionError(`${what} ${path} must be an absolute path`)
    const hidden = hiddenBy(path)
    if (hidden) {
      throw new UnitOptionError(
        `${what} ${path} is under ${hidden}, which the service's sandbox hides ` +
          '(ProtectHome=yes, PrivateTmp=yes); install the agent and node under /opt or /usr/local',
      )
    }
  }
  // StateDirectory=/ReadWritePaths= take space-separated lists with specifiers: keep the
  // state directory to characters that mean nothing there.
  if (
    !/^(\/[A-Za-z0-9_.-]+)+\/?$/.test(options.stateDir) ||
    /\/\.\.?(\/|$)/.test(options.stateDir)
  ) {
    throw new UnitOptionError(
      `state directory ${options.stateDir} must be a plain absolute path of [A-Za-z0-9_.-] names`,
    )
  }
}

/**
 * StateDirectory= only names directories under /var/lib (it creates them with the mode
 * given, 0700 as the agent requires of its state directory); elsewhere the directory is
 * made writable with ReadWritePaths= and must exist (enroll made it).
 */
function stateDirectoryLines(stateDir: string): string[] {
  const dir = stateDir.replace(/\/+$/, '')
  if (dir.startsWith('/var/lib/') && dir.length > '/var/lib/'.length) {
    return [`StateDirectory=${dir.slice('/var/lib/'.length)}`, 'StateDirectoryMode=0700']
  }
  return [`ReadWritePaths=${dir}`]
}

export function renderUnit(options: UnitOptions): string {
  const caps = capabilitiesFor(options.runArgs).join(' ')
  const classifier = usesClassifier(options.runArgs)
  const lines = [
    '# Written by `patronus-agent install`; `patronus-agent uninstall` removes it.',
    '# Re-run install to change it; local additions belong in `systemctl edit patronus-agent`.',
    '[Unit]',
    'Description=Patronus SD-WAN site agent',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=exec',
    `ExecStart=${execStartLine(options)}`,
    'Restart=on-failure',
    'RestartSec=5s',
    `RestartPreventExitStatus=${NO_RESTART_EXIT_CODES.join(' ')}`,
    // SIGTERM to the agent only: it closes its pipeline and stops its own wireguard-go
    // children; the rest of the cgroup is killed only if it is still there at the timeout.
    'KillMode=mixed',
    'TimeoutStopSec=30s',
    // Logs are JSON lines on stderr; the journal keeps them (journalctl -u patronus-agent).
    'StandardOutput=journal',
    'StandardError=journal',
    'SyslogIdentifier=patronus-agent',
    ...stateDirectoryLines(options.stateDir),
    // wireguard-go's UAPI sockets; kept on stop as other WireGuard tools may share it.
    'RuntimeDirectory=wireguard',
    'RuntimeDirectoryPreserve=yes',
    'ReadWritePaths=/proc/sys/net',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'NoNewPrivileges=yes',
    `CapabilityBoundingSet=${caps}`,
    `AmbientCapabilities=${caps}`,
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectHostname=yes',
    'PrivateMounts=yes',
    // The agent works in the host's network namespace and makes none.
    'RestrictNamespaces=yes',
    // Everything the agent writes is private (keys, caches, wireguard-go's sockets).
    'UMask=0077',
    'LockPersonality=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'SystemCallArchitectures=native',
    // Kernels before 5.11 charge BPF maps to the locked-memory limit.
    ...(classifier ? ['LimitMEMLOCK=infinity'] : []),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ]
  return lines.join('\n')
}
