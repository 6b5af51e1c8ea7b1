import { fixesMallocThresholds } from '../../bench/bench-database';

describe("the benchmark's reading of PostgreSQL's GLIBC_TUNABLES", () => {
  it('is unknown when the environment could not be read', () => {
    expect(fixesMallocThresholds(null)).toBeNull();
  });

  it("is false when glibc's dynamic thresholds are left in place", () => {
    expect(fixesMallocThresholds('(not set)')).toBe(false);
    expect(fixesMallocThresholds('glibc.malloc.mmap_threshold=4194304')).toBe(false);
  });

  it('is true when both thresholds are fixed, whatever else is set', () => {
    expect(fixesMallocThresholds('glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=67108864')).toBe(true);
    expect(fixesMallocThresholds('glibc.cpu.hwcaps=-AVX512F:glibc.malloc.trim_threshold=1:glibc.malloc.mmap_threshold=1')).toBe(true);
  });
});
