/** Randomness as a port, so tests can be seeded. */
export interface Random {
  /** An RFC 4122 version 4 UUID (D15). */
  uuid(): string;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
  /** A uniformly distributed integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}
