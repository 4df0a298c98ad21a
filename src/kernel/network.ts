// Where things are and how long a message takes between them: zones inside
// regions, a latency distribution per class of link (same zone, cross-zone,
// cross-region with per-pair overrides) and the client's internet path.
import { type DistSpec, type Sampler, sampler } from "./distributions.js";
import type { Rng } from "./rng.js";

export interface NetworkSpec {
  regions: { name: string; zones: string[] }[];
  sameZone: DistSpec;
  crossZone: DistSpec;
  crossRegion: DistSpec;
  /** per region pair, "a<->b" */
  regionPairs: { a: string; b: string; latency: DistSpec }[];
  /** one-way latency from a user to a region they are in */
  client: DistSpec;
}

export class Network {
  readonly zoneNames: string[] = [];
  readonly regionNames: string[] = [];
  /** region index of each zone */
  readonly zoneRegion: number[] = [];
  private readonly same: Sampler;
  private readonly cross: Sampler;
  private readonly client: Sampler;
  /** regionCount x regionCount samplers for cross-region links */
  private readonly regionLink: Sampler[][];
  /** extra one-way delay added by faults, per zone pair and per component pair */
  private readonly extraLink = new Map<number, number>();

  constructor(spec: NetworkSpec) {
    for (const r of spec.regions) {
      const ri = this.regionNames.push(r.name) - 1;
      for (const z of r.zones) {
        this.zoneNames.push(z);
        this.zoneRegion.push(ri);
      }
    }
    this.same = sampler(spec.sameZone);
    this.cross = sampler(spec.crossZone);
    this.client = sampler(spec.client);
    const defaultCross = sampler(spec.crossRegion);
    const n = this.regionNames.length;
    this.regionLink = Array.from({ length: n }, () => Array.from({ length: n }, () => defaultCross));
    for (const p of spec.regionPairs) {
      const a = this.regionNames.indexOf(p.a);
      const b = this.regionNames.indexOf(p.b);
      const s = sampler(p.latency);
      this.regionLink[a][b] = s;
      this.regionLink[b][a] = s;
    }
  }

  zone(name: string): number {
    return this.zoneNames.indexOf(name);
  }

  region(name: string): number {
    return this.regionNames.indexOf(name);
  }

  /** One-way delay between two zones (the same zone may still cost a hop). */
  delay(fromZone: number, toZone: number, rng: Rng): number {
    if (fromZone === toZone) return this.same.sample(rng);
    const ra = this.zoneRegion[fromZone];
    const rb = this.zoneRegion[toZone];
    if (ra === rb) return this.cross.sample(rng);
    return this.regionLink[ra][rb].sample(rng);
  }

  /** One-way delay from a user located in `userRegion` to a zone. */
  clientDelay(userRegion: number, toZone: number, rng: Rng): number {
    const rz = this.zoneRegion[toZone];
    const base = this.client.sample(rng);
    return rz === userRegion ? base : base + this.regionLink[userRegion][rz].sample(rng);
  }

  /**
   * Mean one-way delay from a user in `userRegion` to any zone of `toRegion`:
   * what a latency-based DNS policy knows of the network.
   */
  clientMean(userRegion: number, toRegion: number): number {
    const base = this.client.mean;
    return userRegion === toRegion ? base : base + this.regionLink[userRegion][toRegion].mean;
  }

  /** partitions in force, counted per zone pair so that overlapping ones compose */
  private cuts: Int32Array | null = null;
  private activeCuts = 0;
  /** how long a call that crosses a partition waits before it fails */
  partitionTimeoutMs = 1000;

  /** Whether any partition is in force: the transport checks this before looking up zones. */
  get partitioned(): boolean {
    return this.activeCuts > 0;
  }

  /** Whether messages between two zones are currently lost. */
  isCut(a: number, b: number): boolean {
    return this.activeCuts > 0 && this.cuts![a * this.zoneNames.length + b] > 0;
  }

  /**
   * Cuts (sign 1) or heals (sign -1) every link between a zone in `side`
   * and a zone outside it. Links inside each side stay up.
   */
  partition(side: readonly number[], sign: 1 | -1): void {
    const n = this.zoneNames.length;
    this.cuts ??= new Int32Array(n * n);
    const inside = new Uint8Array(n);
    for (const z of side) inside[z] = 1;
    for (let a = 0; a < n; a++)
      for (let b = 0; b < n; b++)
        if (inside[a] !== inside[b]) {
          const before = this.cuts[a * n + b];
          this.cuts[a * n + b] += sign;
          if (before === 0 && sign > 0) this.activeCuts++;
          else if (before === 1 && sign < 0) this.activeCuts--;
        }
  }

  setExtra(key: number, ms: number): void {
    if (ms === 0) this.extraLink.delete(key);
    else this.extraLink.set(key, ms);
  }

  extra(key: number): number {
    return this.extraLink.size === 0 ? 0 : (this.extraLink.get(key) ?? 0);
  }
}
