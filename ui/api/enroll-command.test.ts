import { describe, expect, it } from 'vitest'
import { enrollCommand } from './enroll-command'

describe('enrollCommand', () => {
  it('adds --insecure-http only for a plain-HTTP control plane', () => {
    expect(enrollCommand('https://cp.example', 'pet_x', [])).toBe(
      'patronus-agent enroll --server https://cp.example --token pet_x --uplink wan0=eth0',
    )
    expect(enrollCommand('http://127.0.0.1:8787', 'pet_x', [])).toBe(
      'patronus-agent enroll --server http://127.0.0.1:8787 --insecure-http --token pet_x --uplink wan0=eth0',
    )
  })
})
