import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  capabilitiesFor,
  execStartLine,
  quoteExecArg,
  renderUnit,
  UNIT_NAME,
  UnitOptionError,
  type UnitOptions,
} from './unit'

const base: UnitOptions = {
  node: '/usr/bin/node',
  script: '/opt/patronus/agent/bin/patronus-agent.js',
  stateDir: '/var/lib/patronus',
  runArgs: [],
}

/** The [Service] directives of a unit, key -> values (a key may repeat). */
function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line)
    if (!m) continue
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!])
  }
  return out
}

/**
 * A reference reader of systemd command lines (systemd.service(5): words split on blanks,
 * double quotes group, backslash escapes the next character inside them; `%%` is a literal
 * `%` and `$$` a literal `$`), to check that quoting gives back every argument unchanged.
 */
function splitCommandLine(line: string): string[] {
  const words: string[] = []
  let i = 0
  while (i < line.length) {
    while (line[i] === ' ') i++
    if (i >= line.length) break
    let word = ''
    if (line[i] === '"') {
      i++
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\') i++
        word += line[i]
        i++
      }
      i++
      expect(line[i] === undefined || line[i] === ' ').toBe(true)
    } else {
      while (i < line.length && line[i] !== ' ') word += line[i++]
    }
    words.push(word.replaceAll('%%', '%').replaceAll('$$', '$'))
  }
  return words
}

describe('the systemd unit', () => {
  it('carries the hardening directives, journal logging, restart policy and 0700 state directory', () => {
    const d = directives(renderUnit(base))
    const expected: Record<string, string> = {
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      NoNewPrivileges: 'yes',
      ProtectKernelModules: 'yes',
      ProtectKernelLogs: 'yes',
      ProtectControlGroups: 'yes',
      ProtectHostname: 'yes',
      PrivateMounts: 'yes',
      RestrictNamespaces: 'yes',
      UMask: '0077',
      RestrictSUIDSGID: 'yes',
      Restart: 'on-failure',
      RestartPreventExitStatus: '2 3',
      StandardOutput: 'journal',
      StandardError: 'journal',
      StateDirectory: 'patronus',
      // The agent refuses a state directory other users can read; systemd's default is 0755.
      StateDirectoryMode: '0700',
      RuntimeDirectory: 'wireguard',
      KillMode: 'mixed',
      Type: 'exec',
      WantedBy: 'multi-user.target',
    }
    for (const [key, value] of Object.entries(expected)) expect(d.get(key), key).toEqual([value])
    expect(d.get('ReadWritePaths')).toEqual(['/proc/sys/net'])
    // No user switch: the keys are root's since enroll.
    expect(d.has('User')).toBe(false)
    expect(d.has('DynamicUser')).toBe(false)
  })

  it('grants exactly CAP_NET_ADMIN and CAP_NET_RAW, plus the BPF ones only with the classifier', () => {
    const plain = directives(renderUnit(base))
    expect(plain.get('CapabilityBoundingSet')).toEqual(['CAP_NET_ADMIN CAP_NET_RAW'])
    expect(plain.get('AmbientCapabilities')).toEqual(['CAP_NET_ADMIN CAP_NET_RAW'])
    expect(plain.has('LimitMEMLOCK')).toBe(false)

    for (const runArgs of [['--lan-interface', 'eth1'], ['--lan-interface=eth1']]) {
      const bpf = directives(renderUnit({ ...base, runArgs }))
      const caps = 'CAP_NET_ADMIN CAP_NET_RAW CAP_BPF CAP_PERFMON CAP_SYS_ADMIN'
      expect(bpf.get('CapabilityBoundingSet')).toEqual([caps])
      expect(bpf.get('AmbientCapabilities')).toEqual([caps])
      expect(bpf.get('LimitMEMLOCK')).toEqual(['infinity'])
    }
    expect(capabilitiesFor(['--log-level', 'debug'])).toEqual(['CAP_NET_ADMIN', 'CAP_NET_RAW'])
  })

  it('runs node on the agent script with run --state-dir and the extra run arguments', () => {
    const d = directives(renderUnit({ ...base, runArgs: ['--lan-interface', 'eth1'] }))
    expect(d.get('ExecStart')).toEqual([
      '/usr/bin/node /opt/patronus/agent/bin/patronus-agent.js run --state-dir /var/lib/patronus --lan-interface eth1',
    ])
  })

  it('quotes arguments so that each stays one argument, with no specifier or variable expansion', () => {
    const nasty = [
      'eth 1',
      '"; /bin/sh -c reboot',
      ';',
      'a\\b',
      "it's",
      '%n%h',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a systemd variable, on purpose
      '$HOME ${PATH}',
      '--x=`id`',
    ]
    const line = execStartLine({ ...base, runArgs: nasty })
    expect(splitCommandLine(line)).toEqual([
      base.node,
      base.script,
      'run',
      '--state-dir',
      base.stateDir,
      ...nasty,
    ])
    expect(quoteExecArg('eth1')).toBe('eth1')
    expect(quoteExecArg('a b')).toBe('"a b"')
    expect(quoteExecArg('100%')).toBe('"100%%"')
    expect(quoteExecArg('$X')).toBe('"$$X"')
    expect(quoteExecArg('"')).toBe('"\\""')
  })

  it('refuses a newline (a second directive) or any control character in an argument', () => {
    for (const arg of ['eth1\nExecStartPre=/bin/sh', 'a\rb', 'tab\there', 'nul\u0000']) {
      expect(() => renderUnit({ ...base, runArgs: ['--lan-interface', arg] })).toThrow(
        UnitOptionError,
      )
    }
  })

  it('refuses paths the sandbox hides or that are not plain absolute paths', () => {
    const bad: [Partial<UnitOptions>, RegExp][] = [
      [{ node: '/root/.nvm/versions/node/v20/bin/node' }, /under \/root.*ProtectHome/],
      [{ script: '/home/ops/patronus/agent/bin/patronus-agent.js' }, /under \/home/],
      [{ stateDir: '/tmp/patronus' }, /under \/tmp.*PrivateTmp/],
      [{ node: 'node' }, /absolute path/],
      [{ stateDir: '/var/lib/pat ronus' }, /plain absolute path/],
      [{ stateDir: '/var/lib/../etc' }, /plain absolute path/],
      [{ stateDir: '/var/lib/%n' }, /plain absolute path/],
    ]
    for (const [change, message] of bad) {
      expect(() => renderUnit({ ...base, ...change })).toThrow(message)
    }
  })

  it('makes a state directory outside /var/lib writable with ReadWritePaths instead', () => {
    const d = directives(renderUnit({ ...base, stateDir: '/srv/patronus' }))
    expect(d.has('StateDirectory')).toBe(false)
    expect(d.get('ReadWritePaths')).toEqual(['/srv/patronus', '/proc/sys/net'])
    expect(d.get('ExecStart')?.[0]).toContain('--state-dir /srv/patronus')
    const nested = directives(renderUnit({ ...base, stateDir: '/var/lib/patronus/site-a/' }))
    expect(nested.get('StateDirectory')).toEqual(['patronus/site-a'])
  })
})

/** systemd-analyze verify on the generated unit: systemd's own parser, no running systemd. */
describe('systemd-analyze verify', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  function analyze(file: string): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        'systemd-analyze',
        ['verify', '--man=no', file],
        { env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning' } },
        (error, _stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0
          resolve({ code, stderr: String(stderr) })
        },
      )
    })
  }

  /** Warnings about our unit (verify also loads the host's units, which may warn). */
  const ours = (stderr: string) =>
    stderr.split('\n').filter((l) => l.includes(UNIT_NAME) || l.includes('patronus'))

  async function verify(unit: string) {
    const dir = await mkdtemp(join(tmpdir(), 'patronus-unit-'))
    dirs.push(dir)
    const file = join(dir, UNIT_NAME)
    await writeFile(file, unit)
    return analyze(file)
  }

  const available = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].some(existsSync)
  /**
   * verify checks that ExecStart's executable exists (not its arguments): this node when the
   * sandbox would not hide it (the unit refuses such paths), else a shell.
   */
  const existingNode = /^\/(home|root|tmp|var\/tmp|run\/user)\//.test(process.execPath)
    ? '/bin/sh'
    : process.execPath

  it('accepts the unit, with the classifier and with arguments that need quoting', async () => {
    if (!available) {
      // Loud, not silent: the unit's syntax is then checked by the tests above only.
      console.warn(
        '\n*** systemd-analyze is not installed: the generated unit was NOT verified by systemd ***\n',
      )
      return
    }
    const options: UnitOptions = { ...base, node: existingNode }
    for (const runArgs of [
      [],
      ['--lan-interface', 'eth1', '--log-level', 'debug'],
      ['--metrics-listen', '127.0.0.1:9469', '--interface-prefix', 'p%w$g "x"'],
    ]) {
      const result = await verify(renderUnit({ ...options, runArgs }))
      expect(ours(result.stderr), result.stderr).toEqual([])
      expect(result.code, result.stderr).toBe(0)
    }
  })

  it('reports a broken unit (the check above is not a silent pass)', async () => {
    if (!available) return
    const good = renderUnit({ ...base, node: existingNode })
    const typo = await verify(good.replace('ProtectSystem=strict', 'ProtectSystm=strict'))
    expect(ours(typo.stderr).join('\n')).toMatch(/Unknown key 'ProtectSystm'/)
    const missing = await verify(good.replace(existingNode, '/nonexistent/node'))
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toMatch(/not executable/)
  })
})
