import { canonicalJson, contentHash, sha256Hex } from '../../src/core/canonical';

describe('canonicalJson', () => {
  it('sorts keys recursively, drops undefined properties and rejects what JSON cannot hold', () => {
    expect(canonicalJson({ b: [{ y: 1, x: 'é' }], a: null, c: undefined })).toBe('{"a":null,"b":[{"x":"é","y":1}]}');
    expect(contentHash({ a: 1, b: 2 })).toBe(contentHash({ b: 2, a: 1 }));
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow('$.a[1] is NaN');
    expect(() => canonicalJson({ f: () => 1 })).toThrow('$.f is function');
    expect(() => canonicalJson([undefined])).toThrow('$[0] is undefined');
    expect(() => canonicalJson({ d: new Date(0) })).toThrow('$.d is a Date');
  });
});

describe('sha256Hex', () => {
  it('hashes UTF-8 text to lower-case hex', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(contentHash('abc')).toBe(sha256Hex('"abc"'));
  });
});
