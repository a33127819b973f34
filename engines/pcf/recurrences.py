"""Batched PCF convergent recurrences: numba kernels for the feature hot loop.

A polynomial continued fraction ``a(0) + b(1)/(a(1) + b(2)/(a(2) + ...))`` has
convergents ``p_n/q_n`` with ``p_n = a(n) p_{n-1} + b(n) p_{n-2}`` (and the same
for ``q``), ``p_{-1} = 1, p_0 = a(0), q_{-1} = 0, q_0 = 1`` (Shalyt et al.,
"Unsupervised Discovery of Formulas for Mathematical Constants", NeurIPS 2024,
Sec. 2 / the Blind-Delta code).  The features of that paper need

* ``ln|q_n|`` and the blind error ``ln|L̂ - p_n/q_n|`` with ``L̂ = p_N/q_N``, for
  a handful of sample points ``n``: double precision in log space is enough,
  because ``p_k/q_k - p_{k-1}/q_{k-1} = (-1)^(k+1) prod_{j<=k} b(j) / (q_k q_{k-1})``
  (the determinant of the matrix product), so ``L̂ - p_n/q_n`` is the tail sum of
  those differences and never needs big numbers (:func:`float_dynamics_batch`);
* ``gcd(p_n, q_n)`` at the sample points, which needs the exact integers:
  :func:`exact_convergents_batch` runs the recurrence on multi-limb integers
  (up to 40-bit limbs in int64, signed top limb) and returns the sample-point values
  as little-endian magnitude bytes for gmpy2 to take the gcd of.

Each kernel handles a batch of PCFs given as coefficient rows (lowest degree
first); callers keep batches small enough that one call stays well under a
second, because a signal cannot interrupt numba code.

Example
-------
>>> import numpy as np
>>> a = np.array([[1, 2]], dtype=np.int64)      # a(n) = 2n + 1
>>> b = np.array([[0, 0, 1]], dtype=np.int64)   # b(n) = n^2
>>> blob, offsets, signs = exact_convergents_batch(a, b, np.array([3], dtype=np.int64))
>>> [int.from_bytes(blob[s:e].tobytes(), "little") for s, e in offsets[0, 0]]
[204, 160]
"""

from __future__ import annotations

import math

import numba
import numpy as np

# Limb width: with multipliers below 2^m, one product is below 2^(m + w) and the
# sum of two plus a carry must stay below 2^63, so w = 60 - m (at most 40).  Big
# multipliers (m > 31) are split into 29-bit chunks on 29-bit limbs instead.
_MIN_LIMB_BITS = 29
_MAX_LIMB_BITS = 40
_MAX_CHUNKS = 3  # |a(n)|, |b(n)| < 2^62 split into at most three 29-bit chunks
_RESCALE = 1e150

# Feature-kernel status codes (see engines.pcf.dynamics.STATUS_NAMES).
STATUS_OK = 0
STATUS_ZERO_DENOMINATOR = 4


@numba.njit(cache=True, inline="always")
def _poly_int(coeffs, n):
    value = 0
    for i in range(coeffs.shape[0] - 1, -1, -1):
        value = value * n + coeffs[i]
    return value


@numba.njit(cache=True, inline="always")
def _poly_float(coeffs, x):
    value = 0.0
    for i in range(coeffs.shape[0] - 1, -1, -1):
        value = value * x + coeffs[i]
    return value


@numba.njit(cache=True)
def _abs_bound_bits(a_coeffs, b_coeffs, n):
    """Upper bound on log2(|a(k)| + |b(k)| + 1) for 0 <= k <= n."""
    total = 1.0
    power = 1.0
    for i in range(max(a_coeffs.shape[0], b_coeffs.shape[0])):
        c = 0.0
        if i < a_coeffs.shape[0]:
            c += abs(a_coeffs[i])
        if i < b_coeffs.shape[0]:
            c += abs(b_coeffs[i])
        total += c * power
        power *= n
    return math.log2(total)


@numba.njit(cache=True)
def _split_chunks(value, chunks, w):
    """Write |value| in w-bit chunks; returns (sign, count)."""
    sign = 1
    if value < 0:
        sign = -1
        value = -value
    count = 0
    mask = (1 << w) - 1
    while True:
        chunks[count] = value & mask
        value >>= w
        count += 1
        if value == 0:
            break
    return sign, count


@numba.njit(cache=True)
def _combine(sa, ach, na, x1, len1, sb, bch, nb, x2, len2, z, old_len, w):
    """z = (sa*ach) * x1 + (sb*bch) * x2 on w-bit limbs; returns the new length.

    Limbs below the top are canonical (0 <= limb < 2^w); the top limb is signed,
    so the value is sum(limb_i 2^(w i)) and limbs past the length are zero.
    """
    mask = (1 << w) - 1
    base = 1 << w
    length = max(len1 + na, len2 + nb) - 1
    carry = 0
    if na == 1 and nb == 1:
        fa = sa * ach[0]
        fb = sb * bch[0]
        for i in range(length):
            t = fa * x1[i] + fb * x2[i] + carry
            z[i] = t & mask
            carry = t >> w
    else:
        for i in range(length):
            t = carry
            for j in range(na):
                if i - j >= 0:
                    t += sa * ach[j] * x1[i - j]
            for j in range(nb):
                if i - j >= 0:
                    t += sb * bch[j] * x2[i - j]
            z[i] = t & mask
            carry = t >> w
    while carry != 0:
        if -base < carry < base:
            z[length] = carry
            length += 1
            carry = 0
        else:
            z[length] = carry & mask
            carry >>= w
            length += 1
    # a top limb of -1 above a canonical limb folds into one signed top limb
    while length > 1 and (z[length - 1] == 0 or z[length - 1] == -1):
        if z[length - 1] == -1:
            z[length - 2] -= base
        z[length - 1] = 0
        length -= 1
    for i in range(length, old_len):
        z[i] = 0
    return length


@numba.njit(cache=True)
def _write_magnitude(x, length, blob, pos, scratch, w):
    """Little-endian bytes of |x| into blob[pos:]; returns (end, sign)."""
    sign = 1
    if x[length - 1] < 0:
        sign = -1
        carry = 0
        for i in range(length):
            t = -x[i] + carry
            scratch[i] = t & ((1 << w) - 1)
            carry = t >> w
        if carry != 0:  # a top limb of exactly -2^w negates to 2^w: one more limb
            scratch[length] = carry
            length += 1
    else:
        for i in range(length):
            scratch[i] = x[i]
    if length == 1 and scratch[0] == 0:
        sign = 0
    acc = 0
    bits = 0
    for i in range(length):
        acc |= scratch[i] << bits
        bits += w
        while bits >= 8:
            blob[pos] = acc & 0xFF
            pos += 1
            acc >>= 8
            bits -= 8
    while bits > 0:
        blob[pos] = acc & 0xFF
        pos += 1
        acc >>= 8
        bits -= 8
    return pos, sign


@numba.njit(cache=True)
def _store_sample(bufs, lens, ip, iq, blob, pos, scratch, w, offsets, signs, k):
    """p and q of sample ``k`` (buffers ``ip``, ``iq``) into ``blob[pos:]``; returns the end."""
    pos_p, signs[k, 0] = _write_magnitude(bufs[ip], lens[ip], blob, pos, scratch, w)
    pos_q, signs[k, 1] = _write_magnitude(bufs[iq], lens[iq], blob, pos_p, scratch, w)
    offsets[k, 0, 0] = pos
    offsets[k, 0, 1] = pos_p
    offsets[k, 1, 0] = pos_p
    offsets[k, 1, 1] = pos_q
    return pos_q


@numba.njit(cache=True)
def _exact_row(a_row, b_row, samples, cap, blob, pos, offsets, signs):
    """The exact recurrence of one PCF; writes its sample magnitudes into ``blob[pos:]``."""
    n_samples = samples.shape[0]
    last = samples[n_samples - 1]
    ach = np.zeros(_MAX_CHUNKS, dtype=np.int64)
    bch = np.zeros(_MAX_CHUNKS, dtype=np.int64)
    multiplier_bits = int(math.ceil(_abs_bound_bits(a_row, b_row, last)))
    w = _MIN_LIMB_BITS
    if multiplier_bits <= 31:
        w = min(_MAX_LIMB_BITS, 60 - multiplier_bits)
    bufs = np.zeros((6, cap), dtype=np.int64)  # p_{n-2}, p_{n-1}, p_n, q_{n-2}, ...
    scratch = np.zeros(cap, dtype=np.int64)
    lens = np.ones(6, dtype=np.int64)
    # p_{-1} = 1, p_0 = a(0); q_{-1} = 0, q_0 = 1
    a0 = _poly_int(a_row, 0)
    bufs[1, 0] = 1
    s0, c0 = _split_chunks(a0, ach, w)
    bch[0] = 0
    # p_0 = a(0) * p_{-1} + 0 * q_{-1}: both buffers below are 1 and 0
    lens[2] = _combine(s0, ach, c0, bufs[1], 1, 1, bch, 1, bufs[4], 1, bufs[2], cap, w)
    bufs[5, 0] = 1
    ip2, ip1, iq2, iq1 = 1, 2, 4, 5
    sample_index = 0
    while sample_index < n_samples and samples[sample_index] == 0:
        pos = _store_sample(bufs, lens, ip1, iq1, blob, pos, scratch, w, offsets, signs,
                            sample_index)
        sample_index += 1
    ipz = 0
    iqz = 3
    for n in range(1, last + 1):
        sa, na = _split_chunks(_poly_int(a_row, n), ach, w)
        sb, nb = _split_chunks(_poly_int(b_row, n), bch, w)
        lens[ipz] = _combine(sa, ach, na, bufs[ip1], lens[ip1], sb, bch, nb,
                             bufs[ip2], lens[ip2], bufs[ipz], lens[ipz], w)
        lens[iqz] = _combine(sa, ach, na, bufs[iq1], lens[iq1], sb, bch, nb,
                             bufs[iq2], lens[iq2], bufs[iqz], lens[iqz], w)
        ip2, ip1, ipz = ip1, ipz, ip2
        iq2, iq1, iqz = iq1, iqz, iq2
        while sample_index < n_samples and samples[sample_index] == n:
            pos = _store_sample(bufs, lens, ip1, iq1, blob, pos, scratch, w, offsets, signs,
                                sample_index)
            sample_index += 1


@numba.njit(cache=True, parallel=True)
def exact_convergents_batch(a_coeffs, b_coeffs, samples):
    """Exact ``p_n`` and ``q_n`` at the sample points for a batch of PCFs (rows in parallel).

    Parameters
    ----------
    a_coeffs, b_coeffs : int64 arrays (batch, degree + 1), lowest degree first.
        ``|a(n)|`` and ``|b(n)|`` must stay below 2^62 for ``n <= samples[-1]``.
    samples : sorted int64 array of indices ``n >= 0``.

    Returns
    -------
    blob : uint8 array holding the magnitudes, little-endian.
    offsets : int64 array (batch, len(samples), 2, 2): [start, end) in ``blob``
        of ``|p_n|`` ([..., 0, :]) and ``|q_n|`` ([..., 1, :]).
    signs : int64 array (batch, len(samples), 2): signs of ``p_n`` and ``q_n``.

    Each row owns a region of ``blob`` sized from its bit bound, so the rows
    run on numba's threads (``NUMBA_NUM_THREADS``) with no shared state.
    """
    batch = a_coeffs.shape[0]
    n_samples = samples.shape[0]
    last = samples[n_samples - 1]
    limb_caps = np.empty(batch, dtype=np.int64)
    starts = np.zeros(batch + 1, dtype=np.int64)
    for r in range(batch):
        bits = _abs_bound_bits(a_coeffs[r], b_coeffs[r], last)
        limbs = int((last + 2) * (bits + 1.0) / _MIN_LIMB_BITS) + 8
        limb_caps[r] = limbs
        starts[r + 1] = starts[r] + 2 * n_samples * (limbs * 4 + 8)
    blob = np.zeros(starts[batch], dtype=np.uint8)
    offsets = np.zeros((batch, n_samples, 2, 2), dtype=np.int64)
    signs = np.zeros((batch, n_samples, 2), dtype=np.int64)
    for r in numba.prange(batch):
        _exact_row(a_coeffs[r], b_coeffs[r], samples, limb_caps[r], blob, starts[r],
                   offsets[r], signs[r])
    return blob, offsets, signs


@numba.njit(cache=True, parallel=True)
def float_dynamics_batch(a_coeffs, b_coeffs, depth, samples):
    """Log-space convergence data for a batch of PCFs, in double precision.

    Parameters
    ----------
    a_coeffs, b_coeffs : int64 arrays (batch, degree + 1), lowest degree first.
    depth : N, the reference depth; ``L̂ = p_N / q_N``.
    samples : sorted int64 array of indices ``1 <= n < depth``.

    Returns
    -------
    log_q : (batch, len(samples)) ``ln|q_n|``.
    log_err : (batch, len(samples)) ``ln|L̂ - p_n/q_n|`` (-inf when exactly 0).
    limit : (batch,) ``L̂`` as a double.
    log_last_step : (batch,) ``ln|p_N/q_N - p_{N-1}/q_{N-1}|``.
    status : (batch,) 0, or 4 when ``q_n = 0`` at a sample point or at ``N``.

    Notes
    -----
    ``q`` runs as a scaled pair ``(q_{k-1}, q_k) / s``, rescaled by powers of
    ``1e150`` so nothing overflows; a zero ``q_k`` is bridged by merging the two
    infinite differences around it into ``a(k+1) D_k / (q_{k+1} q_{k-1})``,
    where ``D_k = p_k q_{k-1} - p_{k-1} q_k = (-1)^(k+1) prod_{j<=k} b(j)``.
    """
    batch = a_coeffs.shape[0]
    n_samples = samples.shape[0]
    log_q_out = np.full((batch, n_samples), np.nan)
    log_err_out = np.full((batch, n_samples), np.nan)
    limit_out = np.full(batch, np.nan)
    last_step_out = np.full(batch, np.nan)
    status_out = np.zeros(batch, dtype=np.int64)
    log_scale_ln = math.log(_RESCALE)
    for r in numba.prange(batch):
        log_d = np.empty(depth + 1)
        sign_d = np.empty(depth + 1)
        log_q = np.empty(depth + 1)
        sign_q = np.empty(depth + 1)
        ac = a_coeffs[r]
        bc = b_coeffs[r]
        q_prev = 0.0  # q_{-1}
        q_cur = 1.0  # q_0
        log_scale = 0.0
        log_q[0] = 0.0
        sign_q[0] = 1.0
        log_prod_b = 0.0
        sign_prod_b = 1.0
        zero_at_sample = False
        pending_zero = False
        for k in range(1, depth + 1):
            av = _poly_float(ac, float(k))
            bv = _poly_float(bc, float(k))
            q_next = av * q_cur + bv * q_prev
            q_prev = q_cur
            q_cur = q_next
            mag = abs(q_cur) if q_cur != 0.0 else abs(q_prev)
            if mag > _RESCALE:
                q_prev /= _RESCALE
                q_cur /= _RESCALE
                log_scale += log_scale_ln
            elif mag < 1.0 / _RESCALE and mag > 0.0:
                q_prev *= _RESCALE
                q_cur *= _RESCALE
                log_scale -= log_scale_ln
            if q_cur == 0.0:
                log_q[k] = -np.inf
                sign_q[k] = 0.0
            else:
                log_q[k] = math.log(abs(q_cur)) + log_scale
                sign_q[k] = 1.0 if q_cur > 0 else -1.0
            # D_k sign and magnitude
            log_prod_b_prev = log_prod_b
            sign_prod_b_prev = sign_prod_b
            log_prod_b += math.log(abs(bv)) if bv != 0.0 else -np.inf
            sign_prod_b *= 1.0 if bv > 0 else -1.0
            sign_D = sign_prod_b * (1.0 if (k + 1) % 2 == 0 else -1.0)
            if sign_q[k] == 0.0:
                log_d[k] = -np.inf
                sign_d[k] = 0.0
                pending_zero = True
            elif pending_zero:
                # d_{k-1} + d_k = a(k) D_{k-1} / (q_k q_{k-2})
                pending_zero = False
                sign_D_prev = sign_prod_b_prev * (1.0 if k % 2 == 0 else -1.0)
                if av == 0.0:
                    log_d[k] = -np.inf
                    sign_d[k] = 0.0
                else:
                    log_d[k] = (math.log(abs(av)) + log_prod_b_prev - log_q[k]
                                - log_q[k - 2])
                    sign_d[k] = (sign_D_prev * (1.0 if av > 0 else -1.0) * sign_q[k]
                                 * sign_q[k - 2])
            else:
                log_d[k] = log_prod_b - log_q[k] - log_q[k - 1]
                sign_d[k] = sign_D * sign_q[k] * sign_q[k - 1]
        if sign_q[depth] == 0.0:
            status_out[r] = STATUS_ZERO_DENOMINATOR
            continue
        last_step_out[r] = log_d[depth]
        # backward tail sums S_n = sum_{k=n+1}^{N} d_k, as mantissa * exp(exponent)
        mant = 0.0
        expo = -np.inf
        sample_index = n_samples - 1
        for n in range(depth - 1, -1, -1):
            k = n + 1
            if sign_d[k] != 0.0:
                if mant == 0.0:
                    mant = sign_d[k]
                    expo = log_d[k]
                elif log_d[k] > expo:
                    mant = mant * math.exp(expo - log_d[k]) + sign_d[k]
                    expo = log_d[k]
                else:
                    mant += sign_d[k] * math.exp(log_d[k] - expo)
            while sample_index >= 0 and samples[sample_index] == n:
                if sign_q[n] == 0.0:
                    zero_at_sample = True
                log_q_out[r, sample_index] = log_q[n]
                log_err_out[r, sample_index] = (math.log(abs(mant)) + expo
                                                if mant != 0.0 else -np.inf)
                sample_index -= 1
        # L̂ = p_0/q_0 + S_0 = a(0) + S_0
        if mant == 0.0:
            limit_out[r] = _poly_float(ac, 0.0)
        elif expo > 700.0:
            limit_out[r] = np.inf
        else:
            limit_out[r] = _poly_float(ac, 0.0) + mant * math.exp(expo)
        if zero_at_sample:
            status_out[r] = STATUS_ZERO_DENOMINATOR
    return log_q_out, log_err_out, limit_out, last_step_out, status_out
