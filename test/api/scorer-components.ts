/**
 * Scorer plugin components for the API suites, as base64 so that they load inside workerd
 * too (no file system there). `example` is wasm/build/scorer-example.component.wasm as
 * wasm/build.mjs builds it; the others are jco dummy components (componentEmbed with
 * `dummy: true`, then componentNew) of other worlds.
 */

const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0))

/** The example plugin: the patronus:scorer world, no imports. */
export const exampleScorer = fromBase64(
  'AGFzbQ0AAQAHOwFyBgpsYXRlbmN5LW1zdQlqaXR0ZXItbXN1BGxvc3N1DmJhbmR3aWR0aC1tYnBzdQRjb3N0dQNt' +
    'b3N1Cg0BAAdtZXRyaWNzAwAAAdUBAGFzbQEAAAABCwFgBnx8fHx8fAF8AwIBAAUDAQAABxICBXNjb3JlAAAGbWVt' +
    'b3J5AgAKcAFuACACRJqZmZmZmak/ZgRARAAAAAAAAPD/DwsgBUQAAAAAAAAkQKIgAESamZmZmZmpP6KhIAFEmpmZ' +
    'mZmZyT+ioSAERHsUrkfheoQ/oqFEAAAAAAAA8D9EAAAAAAAAAAAgA0QAAAAAAADwP2YboAsALwlwcm9kdWNlcnMB' +
    'DHByb2Nlc3NlZC1ieQENd2l0LWNvbXBvbmVudAcwLjI1OS4wAgQBAAAABgwBAAIBAAZtZW1vcnkHDgFAAQdtZXRy' +
    'aWNzAQB1BgsBAAABAAVzY29yZQgGAQAAAAACCwsBAAVzY29yZQEAAABdDmNvbXBvbmVudC1uYW1lAQoAAAEABXNj' +
    'b3JlAQsAAgEABm1lbW9yeQEJABEBAARtYWluAQkAEgEABG1haW4BEAECAAVzY29yZQEFc2NvcmUBCwMBAQdtZXRy' +
    'aWNzAC8JcHJvZHVjZXJzAQxwcm9jZXNzZWQtYnkBDXdpdC1jb21wb25lbnQHMC4yNTkuMA==',
)

/** `world w { export rank: func() -> f64; }`: no `score` export. */
export const rankComponent = fromBase64(
  'AGFzbQ0AAQABxwEAYXNtAQAAAAEUBGAAAXxgAXwAYAR/f39/AX9gAAADBQQAAQIDBQMBAAAHWQUMY20zMnAyfHxy' +
    'YW5rAAARY20zMnAyfHxyYW5rX3Bvc3QAAQ1jbTMycDJfbWVtb3J5AgAOY20zMnAyX3JlYWxsb2MAAhFjbTMycDJf' +
    'aW5pdGlhbGl6ZQADCg8EAwAACwIACwMAAAsCAAsALwlwcm9kdWNlcnMBDHByb2Nlc3NlZC1ieQENd2l0LWNvbXBv' +
    'bmVudAcwLjI1OS4wAgQBAAAABhMBAAIBAA1jbTMycDJfbWVtb3J5AV4AYXNtAQAAAAEEAWAAAAIaAQRtYWluEWNt' +
    'MzJwMl9pbml0aWFsaXplAAAIAQAALwlwcm9kdWNlcnMBDHByb2Nlc3NlZC1ieQENd2l0LWNvbXBvbmVudAcwLjI1' +
    'OS4wAgsBAAEBBG1haW4SAAcFAUAAAHUGKAIAAAEADGNtMzJwMnx8cmFuawAAAQARY20zMnAyfHxyYW5rX3Bvc3QI' +
    'CAEAAAABBQEACwoBAARyYW5rAQAAAIQBDmNvbXBvbmVudC1uYW1lASQAAAIADGNtMzJwMnx8cmFuawERY20zMnAy' +
    'fHxyYW5rX3Bvc3QBCwACAQAGbWVtb3J5AR4AEQIABG1haW4BE3dpdC1jb21wb25lbnQtZml4dXABEAASAgAEbWFp' +
    'bgEFZml4dXABDgECAARyYW5rAQRyYW5rAC8JcHJvZHVjZXJzAQxwcm9jZXNzZWQtYnkBDXdpdC1jb21wb25lbnQH' +
    'MC4yNTkuMA==',
)

/** `world w { import log: func(msg: string); export score: func(x: f64) -> f64; }`. */
export const importingComponent = fromBase64(
  'AGFzbQ0AAQAHCgFAAQNtc2dzAQAKCAEAA2xvZwEAAd8BAGFzbQEAAAABGgVgAn9/AGABfAF8YAF8AGAEf39/fwF/' +
    'YAAAAg4BBmNtMzJwMgNsb2cAAAMFBAECAwQFAwEAAAdbBQ1jbTMycDJ8fHNjb3JlAAESY20zMnAyfHxzY29yZV9w' +
    'b3N0AAINY20zMnAyX21lbW9yeQIADmNtMzJwMl9yZWFsbG9jAAMRY20zMnAyX2luaXRpYWxpemUABAoPBAMAAAsC' +
    'AAsDAAALAgALAC8JcHJvZHVjZXJzAQxwcm9jZXNzZWQtYnkBDXdpdC1jb21wb25lbnQHMC4yNTkuMAFtAGFzbQEA' +
    'AAABBgFgAn9/AAMCAQAEBQFwAQEBBxACATAAAAgkaW1wb3J0cwEACg0BCwAgACABQQARAAALAC8JcHJvZHVjZXJz' +
    'AQxwcm9jZXNzZWQtYnkBDXdpdC1jb21wb25lbnQHMC4yNTkuMAIEAQABAAYHAQAAAQABMAIVAgEBA2xvZwAAAAAB' +
    'BmNtMzJwMhIBBhMBAAIBAg1jbTMycDJfbWVtb3J5AYoBAGFzbQEAAAABCQJgAn9/AGAAAAI4AwZhY3R1YWwBMAAA' +
    'BG1haW4RY20zMnAyX2luaXRpYWxpemUAAQRzaGltCCRpbXBvcnRzAXABAQEIAQEJBwEAQQALAQAALwlwcm9kdWNl' +
    'cnMBDHByb2Nlc3NlZC1ieQENd2l0LWNvbXBvbmVudAcwLjI1OS4wCAgBAQAAAgMAAAIhAgEBATAAAQACAwZhY3R1' +
    'YWwSAwRtYWluEgIEc2hpbRIABwgBQAEBeHUAdQYqAgAAAQINY20zMnAyfHxzY29yZQAAAQISY20zMnAyfHxzY29y' +
    'ZV9wb3N0CAgBAAACAQUDAQsLAQAFc2NvcmUBAQAA/wEOY29tcG9uZW50LW5hbWUBUAAABAATaW5kaXJlY3QtY20z' +
    'MnAyLWxvZwETaW5kaXJlY3QtY20zMnAyLWxvZwINY20zMnAyfHxzY29yZQMSY20zMnAyfHxzY29yZV9wb3N0AQsA' +
    'AgEABm1lbW9yeQE5ABEDAARtYWluARl3aXQtY29tcG9uZW50LXNoaW0tbW9kdWxlAhN3aXQtY29tcG9uZW50LWZp' +
    'eHVwAT0AEgUAG3dpdC1jb21wb25lbnQtc2hpbS1pbnN0YW5jZQEGY20zMnAyAgRtYWluAwZhY3R1YWwEBWZpeHVw' +
    'ARUBAwADbG9nAQVzY29yZQIFc2NvcmUALwlwcm9kdWNlcnMBDHByb2Nlc3NlZC1ieQENd2l0LWNvbXBvbmVudAcw' +
    'LjI1OS4w',
)

/**
 * The same component with other bytes (and so another hash): a custom section appended,
 * which every reader skips. Lets a test upload a second version of a valid plugin.
 */
export function variantOf(component: Uint8Array, tag = 'v2'): Uint8Array {
  const name = new TextEncoder().encode(tag)
  const body = [name.length, ...name, 1]
  const out = new Uint8Array(component.length + 2 + body.length)
  out.set(component)
  out.set([0x00, body.length, ...body], component.length)
  return out
}

function leb128(n: number): number[] {
  const out: number[] = []
  do {
    let byte = n & 0x7f
    n >>>= 7
    if (n > 0) byte |= 0x80
    out.push(byte)
  } while (n > 0)
  return out
}

/** The component grown to exactly `total` bytes by one custom section of zeros. */
export function paddedTo(component: Uint8Array, total: number): Uint8Array {
  // Section: id 0, size (LEB128), name "p" (length 1), then zeros up to the total.
  for (let sizeBytes = 1; sizeBytes <= 5; sizeBytes++) {
    const size = total - component.length - 1 - sizeBytes
    if (leb128(size).length !== sizeBytes) continue
    const out = new Uint8Array(total)
    out.set(component)
    out.set([0x00, ...leb128(size), 1, 0x70], component.length)
    return out
  }
  throw new RangeError(`cannot pad ${component.length} bytes to ${total}`)
}
