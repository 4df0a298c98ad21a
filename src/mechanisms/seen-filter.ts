// A "have we seen this URL before?" test, as a crawler's URL frontier makes it
// on every discovered link: a Bloom filter of the URLs admitted so far. A URL
// the filter already holds is skipped; any other is added and goes on. The
// filter never forgets a URL it was given (no false negatives), but a URL it
// was never given is sometimes reported seen (a false positive): that page is
// wrongly skipped, never crawled.
//
// Beside the filter, an exact record of the URLs admitted tells a duplicate
// (truly seen: rightly skipped) from a false positive, for the report only;
// it holds the URLs this run admitted, at most one entry per distinct URL.
import { BloomFilter, bloomFalsePositiveRate } from "./bloom-filter.js";

/** What a check decided. */
export const SEEN_NEW = 0;
export const SEEN_DUPLICATE = 1;
export const SEEN_FALSE_POSITIVE = 2;
export type SeenVerdict = typeof SEEN_NEW | typeof SEEN_DUPLICATE | typeof SEEN_FALSE_POSITIVE;

export interface SeenCounts {
  checked: number;
  /** admitted and added: the filter said never seen */
  admitted: number;
  /** skipped, truly seen before */
  duplicates: number;
  /** skipped, though never seen: wrongly */
  falsePositives: number;
}

export class SeenFilter {
  readonly filter: BloomFilter;
  readonly counts: SeenCounts = { checked: 0, admitted: 0, duplicates: 0, falsePositives: 0 };
  /** the URLs admitted, exactly: only to tell a false positive from a duplicate */
  private readonly truth = new Set<number>();

  constructor(bits: number, hashes: number, seed = 0) {
    this.filter = new BloomFilter(bits, hashes, seed);
  }

  /** Checks url (a non-negative integer < 2^53); adds it unless the filter says seen. */
  check(url: number): SeenVerdict {
    this.counts.checked++;
    if (this.filter.mightContain(url)) {
      if (this.truth.has(url)) {
        this.counts.duplicates++;
        return SEEN_DUPLICATE;
      }
      this.counts.falsePositives++;
      return SEEN_FALSE_POSITIVE;
    }
    this.filter.add(url);
    this.truth.add(url);
    this.counts.admitted++;
    return SEEN_NEW;
  }

  /** (1 - e^{-kn/m})^k with n the URLs added: the chance the next new URL is wrongly skipped. */
  get expectedFalsePositiveRate(): number {
    return bloomFalsePositiveRate(this.filter.bits, this.filter.hashes, this.counts.admitted);
  }

  /**
   * False positives expected over the run so far: the i-th new URL (i from 0)
   * met a filter holding about i URLs (false positives add nothing), so the
   * sum of (1 - e^{-ki/m})^k over the new URLs checked.
   */
  get expectedFalsePositives(): number {
    const novel = this.counts.admitted + this.counts.falsePositives;
    let sum = 0;
    for (let i = 0; i < novel; i++)
      sum += bloomFalsePositiveRate(this.filter.bits, this.filter.hashes, Math.min(i, this.counts.admitted));
    return sum;
  }
}

/**
 * A URL's id from its site (the request's key) and its page on that site:
 * pages below 2^20, so sites below 2^33 give distinct ids under 2^53.
 */
export const MAX_PAGES = 1 << 20;
export function urlOf(site: number, page: number): number {
  return site * MAX_PAGES + page;
}
