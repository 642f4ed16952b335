// Body of the native Legendre kernel, included once per instruction set by legendre.cc inside
// a namespace and a `#pragma GCC target` region, after the vector primitives (V, W, M, v*) are
// defined. Same formulas, tables and thresholds as src/healpix/wasm/legendre.as (see its header):
// monic recurrence μ_{l+1} = x μ_l − e2_l μ_{l−1} with a_lm pre-multiplied by N', power-of-two
// renormalisation at the boundary steps, λ_mm carried as v · 2^(512 k). Unlike the WebAssembly
// kernel it runs only the x form: with fused multiply-add the chain step is one FMA on the critical
// path (x μ_l − (e2 μ_{l−1}), the product off the chain), and NV vectors per block of lanes hide
// its latency.
//
// Memory: every pointer is a byte offset into the caller's buffer `base`. Per-lane arrays hold
// one double per lane (x, y, v, k, dead); F holds per lane (re, im) of the north ring at
// f + lane·fstride and of the south ring soff bytes further. The analysis column sums are
// W-wide: for l − m = i, 2W doubles at p + 16·W·i (re lanes, then im lanes), reduced in finish().

static const int NV = NVEC;
static const int B = NV * W;  // lanes per block

static inline double *D(uint8_t *base, size_t off) { return reinterpret_cast<double *>(base + off); }
static inline int32_t *I(uint8_t *base, size_t off) { return reinterpret_cast<int32_t *>(base + off); }

// Significance state of one block: rescale lanes with k < 0 whose |μ̃|·N' reached LIMIT.
struct Block {
  V x[NV], v0[NV], v1[NV], k[NV];
};

static inline bool allSignificant(const Block &s) {
  for (int i = 0; i < NV; i++)
    if (!mall(veqz(s.k[i]))) return false;
  return true;
}

static inline bool noneSignificant(const Block &s) {
  for (int i = 0; i < NV; i++)
    if (many(veqz(s.k[i]))) return false;
  return true;
}

// Rescales lanes with k < 0 whose pair reached LIMIT (λ = μ̃·N', N' of the odd member `nn`).
static inline void rescale(Block &s, double nn) {
  const V vnn = vset1(nn), lim = vset1(LIMIT), down = vset1(DOWN), one = vset1(1.0), inf = vset1(INFINITY);
  for (int i = 0; i < NV; i++) {
    const V li = vsel(veqz(s.k[i]), inf, lim);
    const M mk = mor(vge(vmul(vabs(s.v1[i]), vnn), li), vge(vmul(vabs(s.v0[i]), vnn), li));
    if (!many(mk)) continue;
    s.v0[i] = vsel(mk, vmul(s.v0[i], down), s.v0[i]);
    s.v1[i] = vsel(mk, vmul(s.v1[i], down), s.v1[i]);
    s.k[i] = vsel(mk, vadd(s.k[i], one), s.k[i]);
  }
}

// Loads lanes lane0 … lane0 + B − 1; false when all are dead. Dead lanes get v = 0, k = 0.
static inline bool loadBlock(uint8_t *base, size_t lane0, size_t xp, size_t vp, size_t kp, size_t dp, Block &s) {
  const double *d = D(base, dp) + lane0;
  bool any = false;
  for (int i = 0; i < B; i++) any = any || d[i] != 1.0;
  if (!any) return false;
  const V zero = vset1(0.0), one = vset1(1.0);
  for (int i = 0; i < NV; i++) {
    const M dead = veq(vload(d + i * W), one);
    s.x[i] = vload(D(base, xp) + lane0 + i * W);
    s.v0[i] = vsel(dead, zero, vload(D(base, vp) + lane0 + i * W));
    s.k[i] = vsel(dead, zero, vload(D(base, kp) + lane0 + i * W));
    s.v1[i] = vmul(s.x[i], s.v0[i]);  // μ_{m+1} = x μ_m (e2_m = 0)
  }
  return true;
}

// Lanes whose scale never reached 0 are dead for all larger m; returns whether one is live.
static inline bool markDead(uint8_t *base, size_t lane0, size_t dp, const Block &s) {
  double k[B];
  for (int i = 0; i < NV; i++) vstore(k + i * W, s.k[i]);
  double *d = D(base, dp) + lane0;
  bool live = false;
  for (int i = 0; i < B; i++) {
    if (k[i] < 0) d[i] = 1.0;
    live = live || d[i] != 1.0;
  }
  return live;
}

// One step of the pair state: (μ_l, μ_{l+1}) → (μ_{l+2}, μ_{l+3}) with e = e2 at l + 1, l + 2.
static inline void step(V &v0, V &v1, V x, V ea, V eb) {
  v0 = vfms(x, v1, vmul(ea, v0));
  v1 = vfms(x, v0, vmul(eb, v1));
}

// The pair loop of the scaled phases: runs from l = m until every lane is significant or the range
// ends, calling acc(i, l, w0, w1) with the cf-masked pair of vector i when some lane is significant.
template <typename Acc>
static inline int scaledPhases(Block &s, int m, int lmax, const double *e2, const double *nrm, const int32_t *bj,
                               const double *bf, int &j, int &bi, Acc acc) {
  int l = m;
  const V zero = vset1(0.0);
  while (l + 1 <= lmax && !allSignificant(s)) {
    if (!noneSignificant(s)) {
      for (int i = 0; i < NV; i++) {
        const M z = veqz(s.k[i]);
        acc(i, l, vsel(z, s.v0[i], zero), vsel(z, s.v1[i], zero));
      }
    }
    const V ea = vset1(e2[l + 1 - m]), eb = vset1(e2[l + 2 - m]);
    for (int i = 0; i < NV; i++) step(s.v0[i], s.v1[i], s.x[i], ea, eb);
    l += 2;
    j += 1;
    if (j == bj[bi]) {
      const V f = vset1(bf[bi]);
      for (int i = 0; i < NV; i++) {
        s.v0[i] = vmul(s.v0[i], f);
        s.v1[i] = vmul(s.v1[i], f);
      }
      bi++;
    }
    rescale(s, nrm[l + 1 - m]);
  }
  return l;
}

static void synthImpl(uint8_t *base, int m, int lmax, int nlanes, size_t xp, size_t vp, size_t kp, size_t dp,
                      size_t e2o, size_t nrmo, size_t bjo, size_t bfo, size_t ao, size_t fo, size_t fstride,
                      size_t soff, int &liveOut) {
  const double *e2 = D(base, e2o), *nrm = D(base, nrmo), *bf = D(base, bfo), *a = D(base, ao);
  const int32_t *bj = I(base, bjo);
  int live = 0;
  for (int lane0 = 0; lane0 < nlanes; lane0 += B) {
    Block s;
    V er[NV], ei[NV], orr[NV], oi[NV];
    for (int i = 0; i < NV; i++) er[i] = ei[i] = orr[i] = oi[i] = vset1(0.0);
    if (loadBlock(base, lane0, xp, vp, kp, dp, s)) {
      int j = 0, bi = 0;
      // a is linear from l = m, prescaled by N': (re, im) at a[2(l − m)].
      int l = scaledPhases(s, m, lmax, e2, nrm, bj, bf, j, bi, [&](int i, int ll, V w0, V w1) {
        const double *al = a + 2 * (ll - m);
        er[i] = vfma(w0, vset1(al[0]), er[i]);
        ei[i] = vfma(w0, vset1(al[1]), ei[i]);
        orr[i] = vfma(w1, vset1(al[2]), orr[i]);
        oi[i] = vfma(w1, vset1(al[3]), oi[i]);
      });
      const bool full = allSignificant(s);
      if (full) {
        V v0[NV], v1[NV], x[NV];
        for (int i = 0; i < NV; i++) {
          v0[i] = s.v0[i];
          v1[i] = s.v1[i];
          x[i] = s.x[i];
        }
        while (l + 1 <= lmax) {
          // Pairs up to the next renormalisation boundary (or the end), no test in the loop.
          int n = (lmax - l + 1) >> 1;
          if (bj[bi] - j < n) n = bj[bi] - j;
          const double *al = a + 2 * (l - m);
          const double *ep = e2 + (l - m);
          for (int t = 0; t < n; t++, al += 4, ep += 2) {
            const V ar0 = vset1(al[0]), ai0 = vset1(al[1]), ar1 = vset1(al[2]), ai1 = vset1(al[3]);
            const V ea = vset1(ep[1]), eb = vset1(ep[2]);
            for (int i = 0; i < NV; i++) {
              er[i] = vfma(v0[i], ar0, er[i]);
              ei[i] = vfma(v0[i], ai0, ei[i]);
              orr[i] = vfma(v1[i], ar1, orr[i]);
              oi[i] = vfma(v1[i], ai1, oi[i]);
              step(v0[i], v1[i], x[i], ea, eb);
            }
          }
          l += 2 * n;
          j += n;
          if (j == bj[bi]) {
            const V f = vset1(bf[bi]);
            for (int i = 0; i < NV; i++) {
              v0[i] = vmul(v0[i], f);
              v1[i] = vmul(v1[i], f);
            }
            bi++;
          }
        }
        for (int i = 0; i < NV; i++) {
          s.v0[i] = v0[i];
          s.v1[i] = v1[i];
        }
      }
      if (l == lmax) {
        const double *al = a + 2 * (l - m);
        for (int i = 0; i < NV; i++) {
          const V w0 = vsel(veqz(s.k[i]), s.v0[i], vset1(0.0));
          er[i] = vfma(w0, vset1(al[0]), er[i]);
          ei[i] = vfma(w0, vset1(al[1]), ei[i]);
        }
      }
      live += markDead(base, lane0, dp, s) ? 1 : 0;
    }
    // North = E + O, south = E − O, per lane (re, im).
    double nr[B], ni[B], sr[B], si[B];
    for (int i = 0; i < NV; i++) {
      vstore(nr + i * W, vadd(er[i], orr[i]));
      vstore(ni + i * W, vadd(ei[i], oi[i]));
      vstore(sr + i * W, vsub(er[i], orr[i]));
      vstore(si + i * W, vsub(ei[i], oi[i]));
    }
    const int count = nlanes - lane0 < B ? nlanes - lane0 : B;
    for (int r = 0; r < count; r++) {
      double *o = D(base, fo + (size_t)(lane0 + r) * fstride);
      o[0] = nr[r];
      o[1] = ni[r];
      double *so = D(base, fo + (size_t)(lane0 + r) * fstride + soff);
      so[0] = sr[r];
      so[1] = si[r];
    }
  }
  liveOut = live;
}

// Synthesis of NB coefficient sets in one pass: the recurrence is shared, only the sums differ.
// Set b's prescaled column is at ao + b·astride, its F at fo + b·fset (same lane stride and south
// offset). Per set the sums are those of synthImpl, in the same order, so the results are
// identical to NB separate calls.
template <int NB>
static void synthBatchImpl(uint8_t *base, int m, int lmax, int nlanes, size_t xp, size_t vp, size_t kp, size_t dp,
                           size_t e2o, size_t nrmo, size_t bjo, size_t bfo, size_t ao, size_t astride, size_t fo,
                           size_t fstride, size_t soff, size_t fset, int &liveOut) {
  const double *e2 = D(base, e2o), *nrm = D(base, nrmo), *bf = D(base, bfo);
  const double *a[NB];
  for (int b = 0; b < NB; b++) a[b] = D(base, ao + b * astride);
  const int32_t *bj = I(base, bjo);
  int live = 0;
  for (int lane0 = 0; lane0 < nlanes; lane0 += B) {
    Block s;
    V er[NB][NV], ei[NB][NV], orr[NB][NV], oi[NB][NV];
    for (int b = 0; b < NB; b++)
      for (int i = 0; i < NV; i++) er[b][i] = ei[b][i] = orr[b][i] = oi[b][i] = vset1(0.0);
    if (loadBlock(base, lane0, xp, vp, kp, dp, s)) {
      int j = 0, bi = 0;
      int l = scaledPhases(s, m, lmax, e2, nrm, bj, bf, j, bi, [&](int i, int ll, V w0, V w1) {
        for (int b = 0; b < NB; b++) {
          const double *al = a[b] + 2 * (ll - m);
          er[b][i] = vfma(w0, vset1(al[0]), er[b][i]);
          ei[b][i] = vfma(w0, vset1(al[1]), ei[b][i]);
          orr[b][i] = vfma(w1, vset1(al[2]), orr[b][i]);
          oi[b][i] = vfma(w1, vset1(al[3]), oi[b][i]);
        }
      });
      if (allSignificant(s)) {
        // NH vectors at a time: NB sets of sums for all NV vectors would not fit the registers
        // (half a block for two sets, a quarter for four; each sum keeps its order over l).
        const int NH = NV / NB > 0 ? NV / NB : 1;
        const int l1 = l, j1 = j, bi1 = bi;
        for (int h = 0; h < NV; h += NH) {
          V v0[NH], v1[NH], x[NH];
          V cr[NB][NH], ci[NB][NH], dr[NB][NH], di[NB][NH];
          for (int i = 0; i < NH; i++) {
            v0[i] = s.v0[h + i];
            v1[i] = s.v1[h + i];
            x[i] = s.x[h + i];
            for (int b = 0; b < NB; b++) {
              cr[b][i] = er[b][h + i];
              ci[b][i] = ei[b][h + i];
              dr[b][i] = orr[b][h + i];
              di[b][i] = oi[b][h + i];
            }
          }
          l = l1;
          j = j1;
          bi = bi1;
          while (l + 1 <= lmax) {
            int n = (lmax - l + 1) >> 1;
            if (bj[bi] - j < n) n = bj[bi] - j;
            const double *ep = e2 + (l - m);
            const int off = 2 * (l - m);
            for (int t = 0; t < n; t++, ep += 2) {
              const V ea = vset1(ep[1]), eb = vset1(ep[2]);
              for (int b = 0; b < NB; b++) {
                const double *al = a[b] + off + 4 * t;
                const V ar0 = vset1(al[0]), ai0 = vset1(al[1]), ar1 = vset1(al[2]), ai1 = vset1(al[3]);
                for (int i = 0; i < NH; i++) {
                  cr[b][i] = vfma(v0[i], ar0, cr[b][i]);
                  ci[b][i] = vfma(v0[i], ai0, ci[b][i]);
                  dr[b][i] = vfma(v1[i], ar1, dr[b][i]);
                  di[b][i] = vfma(v1[i], ai1, di[b][i]);
                }
              }
              for (int i = 0; i < NH; i++) step(v0[i], v1[i], x[i], ea, eb);
            }
            l += 2 * n;
            j += n;
            if (j == bj[bi]) {
              const V f = vset1(bf[bi]);
              for (int i = 0; i < NH; i++) {
                v0[i] = vmul(v0[i], f);
                v1[i] = vmul(v1[i], f);
              }
              bi++;
            }
          }
          for (int i = 0; i < NH; i++) {
            s.v0[h + i] = v0[i];
            s.v1[h + i] = v1[i];
            for (int b = 0; b < NB; b++) {
              er[b][h + i] = cr[b][i];
              ei[b][h + i] = ci[b][i];
              orr[b][h + i] = dr[b][i];
              oi[b][h + i] = di[b][i];
            }
          }
        }
      }
      if (l == lmax) {
        for (int b = 0; b < NB; b++) {
          const double *al = a[b] + 2 * (l - m);
          for (int i = 0; i < NV; i++) {
            const V w0 = vsel(veqz(s.k[i]), s.v0[i], vset1(0.0));
            er[b][i] = vfma(w0, vset1(al[0]), er[b][i]);
            ei[b][i] = vfma(w0, vset1(al[1]), ei[b][i]);
          }
        }
      }
      live += markDead(base, lane0, dp, s) ? 1 : 0;
    }
    const int count = nlanes - lane0 < B ? nlanes - lane0 : B;
    for (int b = 0; b < NB; b++) {
      double nr[B], ni[B], sr[B], si[B];
      for (int i = 0; i < NV; i++) {
        vstore(nr + i * W, vadd(er[b][i], orr[b][i]));
        vstore(ni + i * W, vadd(ei[b][i], oi[b][i]));
        vstore(sr + i * W, vsub(er[b][i], orr[b][i]));
        vstore(si + i * W, vsub(ei[b][i], oi[b][i]));
      }
      for (int r = 0; r < count; r++) {
        double *o = D(base, fo + b * fset + (size_t)(lane0 + r) * fstride);
        o[0] = nr[r];
        o[1] = ni[r];
        double *so = D(base, fo + b * fset + (size_t)(lane0 + r) * fstride + soff);
        so[0] = sr[r];
        so[1] = si[r];
      }
    }
  }
  liveOut = live;
}

static void synth2Impl(uint8_t *base, int m, int lmax, int nlanes, size_t xp, size_t vp, size_t kp, size_t dp,
                       size_t e2o, size_t nrmo, size_t bjo, size_t bfo, size_t ao, size_t astride, size_t fo,
                       size_t fstride, size_t soff, size_t fset, int &liveOut) {
  synthBatchImpl<2>(base, m, lmax, nlanes, xp, vp, kp, dp, e2o, nrmo, bjo, bfo, ao, astride, fo, fstride, soff, fset,
                    liveOut);
}

static void synth4Impl(uint8_t *base, int m, int lmax, int nlanes, size_t xp, size_t vp, size_t kp, size_t dp,
                       size_t e2o, size_t nrmo, size_t bjo, size_t bfo, size_t ao, size_t astride, size_t fo,
                       size_t fstride, size_t soff, size_t fset, int &liveOut) {
  synthBatchImpl<4>(base, m, lmax, nlanes, xp, vp, kp, dp, e2o, nrmo, bjo, bfo, ao, astride, fo, fstride, soff, fset,
                    liveOut);
}

static void analyzeImpl(uint8_t *base, int m, int lmax, int nlanes, size_t xp, size_t vp, size_t kp, size_t dp,
                        size_t e2o, size_t nrmo, size_t bjo, size_t bfo, size_t po, size_t fo, size_t fstride,
                        size_t soff, int &liveOut) {
  const double *e2 = D(base, e2o), *nrm = D(base, nrmo), *bf = D(base, bfo);
  double *p = D(base, po);
  const int32_t *bj = I(base, bjo);
  int live = 0;
  for (int lane0 = 0; lane0 < nlanes; lane0 += B) {
    Block s;
    if (!loadBlock(base, lane0, xp, vp, kp, dp, s)) continue;
    // P_E = N + S, P_O = N − S per lane, transposed into lane vectors.
    double per[B], pei[B], por[B], poi[B];
    const int count = nlanes - lane0 < B ? nlanes - lane0 : B;
    for (int r = 0; r < B; r++) {
      if (r >= count) {
        per[r] = pei[r] = por[r] = poi[r] = 0;
        continue;
      }
      const double *n = D(base, fo + (size_t)(lane0 + r) * fstride);
      const double *so = D(base, fo + (size_t)(lane0 + r) * fstride + soff);
      per[r] = n[0] + so[0];
      pei[r] = n[1] + so[1];
      por[r] = n[0] - so[0];
      poi[r] = n[1] - so[1];
    }
    V PEr[NV], PEi[NV], POr[NV], POi[NV];
    for (int i = 0; i < NV; i++) {
      PEr[i] = vload(per + i * W);
      PEi[i] = vload(pei + i * W);
      POr[i] = vload(por + i * W);
      POi[i] = vload(poi + i * W);
    }
    int j = 0, bi = 0;
    int l = scaledPhases(s, m, lmax, e2, nrm, bj, bf, j, bi, [&](int i, int ll, V w0, V w1) {
      double *q = p + 2 * W * (ll - m);
      vstore(q, vfma(w0, PEr[i], vload(q)));
      vstore(q + W, vfma(w0, PEi[i], vload(q + W)));
      vstore(q + 2 * W, vfma(w1, POr[i], vload(q + 2 * W)));
      vstore(q + 3 * W, vfma(w1, POi[i], vload(q + 3 * W)));
    });
    if (allSignificant(s)) {
      V v0[NV], v1[NV], x[NV];
      for (int i = 0; i < NV; i++) {
        v0[i] = s.v0[i];
        v1[i] = s.v1[i];
        x[i] = s.x[i];
      }
      while (l + 1 <= lmax) {
        int n = (lmax - l + 1) >> 1;
        if (bj[bi] - j < n) n = bj[bi] - j;
        double *q = p + 2 * W * (l - m);
        const double *ep = e2 + (l - m);
        for (int t = 0; t < n; t++, q += 4 * W, ep += 2) {
          V r0 = vload(q), i0 = vload(q + W), r1 = vload(q + 2 * W), i1 = vload(q + 3 * W);
          const V ea = vset1(ep[1]), eb = vset1(ep[2]);
          for (int i = 0; i < NV; i++) {
            r0 = vfma(v0[i], PEr[i], r0);
            i0 = vfma(v0[i], PEi[i], i0);
            r1 = vfma(v1[i], POr[i], r1);
            i1 = vfma(v1[i], POi[i], i1);
            step(v0[i], v1[i], x[i], ea, eb);
          }
          vstore(q, r0);
          vstore(q + W, i0);
          vstore(q + 2 * W, r1);
          vstore(q + 3 * W, i1);
        }
        l += 2 * n;
        j += n;
        if (j == bj[bi]) {
          const V f = vset1(bf[bi]);
          for (int i = 0; i < NV; i++) {
            v0[i] = vmul(v0[i], f);
            v1[i] = vmul(v1[i], f);
          }
          bi++;
        }
      }
      for (int i = 0; i < NV; i++) {
        s.v0[i] = v0[i];
        s.v1[i] = v1[i];
      }
    }
    if (l == lmax) {
      double *q = p + 2 * W * (l - m);
      for (int i = 0; i < NV; i++) {
        const V w0 = vsel(veqz(s.k[i]), s.v0[i], vset1(0.0));
        vstore(q, vfma(w0, PEr[i], vload(q)));
        vstore(q + W, vfma(w0, PEi[i], vload(q + W)));
      }
    }
    live += markDead(base, lane0, dp, s) ? 1 : 0;
  }
  liveOut = live;
}

// Analysis of NB F sets in one pass: set b's F at fo + b·fset, its column sums at po + b·pstride
// (reduced by finishImpl per set). Per set the sums are those of analyzeImpl, in the same order.
template <int NB>
static void analyzeBatchImpl(uint8_t *base, int m, int lmax, int nlanes, size_t xp, size_t vp, size_t kp, size_t dp,
                             size_t e2o, size_t nrmo, size_t bjo, size_t bfo, size_t po, size_t pstride, size_t fo,
                             size_t fstride, size_t soff, size_t fset, int &liveOut) {
  const double *e2 = D(base, e2o), *nrm = D(base, nrmo), *bf = D(base, bfo);
  double *p[NB];
  for (int b = 0; b < NB; b++) p[b] = D(base, po + b * pstride);
  const int32_t *bj = I(base, bjo);
  int live = 0;
  for (int lane0 = 0; lane0 < nlanes; lane0 += B) {
    Block s;
    if (!loadBlock(base, lane0, xp, vp, kp, dp, s)) continue;
    const int count = nlanes - lane0 < B ? nlanes - lane0 : B;
    V PEr[NB][NV], PEi[NB][NV], POr[NB][NV], POi[NB][NV];
    for (int b = 0; b < NB; b++) {
      double per[B], pei[B], por[B], poi[B];
      for (int r = 0; r < B; r++) {
        if (r >= count) {
          per[r] = pei[r] = por[r] = poi[r] = 0;
          continue;
        }
        const double *n = D(base, fo + b * fset + (size_t)(lane0 + r) * fstride);
        const double *so = D(base, fo + b * fset + (size_t)(lane0 + r) * fstride + soff);
        per[r] = n[0] + so[0];
        pei[r] = n[1] + so[1];
        por[r] = n[0] - so[0];
        poi[r] = n[1] - so[1];
      }
      for (int i = 0; i < NV; i++) {
        PEr[b][i] = vload(per + i * W);
        PEi[b][i] = vload(pei + i * W);
        POr[b][i] = vload(por + i * W);
        POi[b][i] = vload(poi + i * W);
      }
    }
    int j = 0, bi = 0;
    int l = scaledPhases(s, m, lmax, e2, nrm, bj, bf, j, bi, [&](int i, int ll, V w0, V w1) {
      for (int b = 0; b < NB; b++) {
        double *q = p[b] + 2 * W * (ll - m);
        vstore(q, vfma(w0, PEr[b][i], vload(q)));
        vstore(q + W, vfma(w0, PEi[b][i], vload(q + W)));
        vstore(q + 2 * W, vfma(w1, POr[b][i], vload(q + 2 * W)));
        vstore(q + 3 * W, vfma(w1, POi[b][i], vload(q + 3 * W)));
      }
    });
    if (allSignificant(s)) {
      // NH vectors at a time, as in synthBatchImpl: each column sum still takes the vectors in
      // analyzeImpl's order (vector 0 first), so the groups run in order.
      const int NH = NV / NB > 0 ? NV / NB : 1;
      const int l1 = l, j1 = j, bi1 = bi;
      for (int h = 0; h < NV; h += NH) {
        V v0[NH], v1[NH], x[NH];
        for (int i = 0; i < NH; i++) {
          v0[i] = s.v0[h + i];
          v1[i] = s.v1[h + i];
          x[i] = s.x[h + i];
        }
        l = l1;
        j = j1;
        bi = bi1;
        while (l + 1 <= lmax) {
          int n = (lmax - l + 1) >> 1;
          if (bj[bi] - j < n) n = bj[bi] - j;
          const double *ep = e2 + (l - m);
          const int off = 2 * W * (l - m);
          for (int t = 0; t < n; t++, ep += 2) {
            const V ea = vset1(ep[1]), eb = vset1(ep[2]);
            for (int b = 0; b < NB; b++) {
              double *q = p[b] + off + 4 * W * t;
              V r0 = vload(q), i0 = vload(q + W), r1 = vload(q + 2 * W), i1 = vload(q + 3 * W);
              for (int i = 0; i < NH; i++) {
                r0 = vfma(v0[i], PEr[b][h + i], r0);
                i0 = vfma(v0[i], PEi[b][h + i], i0);
                r1 = vfma(v1[i], POr[b][h + i], r1);
                i1 = vfma(v1[i], POi[b][h + i], i1);
              }
              vstore(q, r0);
              vstore(q + W, i0);
              vstore(q + 2 * W, r1);
              vstore(q + 3 * W, i1);
            }
            for (int i = 0; i < NH; i++) step(v0[i], v1[i], x[i], ea, eb);
          }
          l += 2 * n;
          j += n;
          if (j == bj[bi]) {
            const V f = vset1(bf[bi]);
            for (int i = 0; i < NH; i++) {
              v0[i] = vmul(v0[i], f);
              v1[i] = vmul(v1[i], f);
            }
            bi++;
          }
        }
        for (int i = 0; i < NH; i++) {
          s.v0[h + i] = v0[i];
          s.v1[h + i] = v1[i];
        }
      }
    }
    if (l == lmax) {
      for (int b = 0; b < NB; b++) {
        double *q = p[b] + 2 * W * (l - m);
        for (int i = 0; i < NV; i++) {
          const V w0 = vsel(veqz(s.k[i]), s.v0[i], vset1(0.0));
          vstore(q, vfma(w0, PEr[b][i], vload(q)));
          vstore(q + W, vfma(w0, PEi[b][i], vload(q + W)));
        }
      }
    }
    live += markDead(base, lane0, dp, s) ? 1 : 0;
  }
  liveOut = live;
}

static void analyze2Impl(uint8_t *base, int m, int lmax, int nlanes, size_t xp, size_t vp, size_t kp, size_t dp,
                         size_t e2o, size_t nrmo, size_t bjo, size_t bfo, size_t po, size_t pstride, size_t fo,
                         size_t fstride, size_t soff, size_t fset, int &liveOut) {
  analyzeBatchImpl<2>(base, m, lmax, nlanes, xp, vp, kp, dp, e2o, nrmo, bjo, bfo, po, pstride, fo, fstride, soff, fset,
                      liveOut);
}

static void analyze4Impl(uint8_t *base, int m, int lmax, int nlanes, size_t xp, size_t vp, size_t kp, size_t dp,
                         size_t e2o, size_t nrmo, size_t bjo, size_t bfo, size_t po, size_t pstride, size_t fo,
                         size_t fstride, size_t soff, size_t fset, int &liveOut) {
  analyzeBatchImpl<4>(base, m, lmax, nlanes, xp, vp, kp, dp, e2o, nrmo, bjo, bfo, po, pstride, fo, fstride, soff, fset,
                      liveOut);
}

// a_l += N'_l · Σ_lanes p(l) for l = m … lmax; zeroes p for the next m.
static void finishImpl(uint8_t *base, int m, int lmax, size_t po, size_t ao, size_t nrmo) {
  double *p = D(base, po), *a = D(base, ao);
  const double *nrm = D(base, nrmo);
  for (int i = 0; i <= lmax - m; i++) {
    double *q = p + 2 * W * i;
    double re[W], im[W];
    vstore(re, vload(q));
    vstore(im, vload(q + W));
    double sr = 0, si = 0;
    for (int t = 0; t < W; t++) {
      sr += re[t];
      si += im[t];
    }
    a[2 * i] += nrm[i] * sr;
    a[2 * i + 1] += nrm[i] * si;
    const V zero = vset1(0.0);
    vstore(q, zero);
    vstore(q + W, zero);
  }
}
