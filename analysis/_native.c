/*
 * analysis._native: the hashed n-gram features of analysis.hashing, the linear scores of analysis.linear and the
 * MinHash signature of analysis.dedup, computed in C for one text at a time.
 *
 * Classifying one post through the numpy code costs about 60-90 microseconds a model, almost all of it the
 * fixed cost of a few dozen small numpy calls; the arithmetic itself is a few hundred multiply-adds. This
 * module does the same arithmetic without those calls. It defines nothing of its own: every hash follows the
 * specification in analysis/hashing.py (the tests compare both implementations feature by feature and score
 * by score on real texts), and analysis.hashing falls back to numpy when this module is not built. The same holds
 * for the near-duplicate signature: a few numpy calls over a post's shingles, here one pass without them.
 *
 *   bucket_counts(chars, orders, words, word_bigrams, extra, bits) -> (bytearray, bytearray)
 *       the sorted distinct buckets (native-endian int64) and how many features fell in each (float64);
 *   Scorer(table, bits, idf_col, sublinear, l2, coef_col, n_coef, m_idf_col, m_sublinear, m_l2, m_coef_col)
 *       .scores(chars, orders, words, word_bigrams, extra) -> tuple of n_coef floats (+1 for the margin)
 *       the TF-IDF weighted, normalised features' dot products with the table's weight columns, before any
 *       intercept; the optional margin is a second weighting (its own idf, sublinear and l2) and one column.
 *   minhash(text, word_map, a, b, min_shingles) -> bytearray | None
 *       analysis.dedup's MinHash signature of a text (native-endian uint32, one per permutation), None when it
 *       has fewer than ``min_shingles`` shingles; as analysis.dedup computes it with numpy.
 *
 * ``orders`` is a bit mask: bit n-1 set means character n-grams of order n (1..4) are counted.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NATIVE_VERSION 2
#define MAX_ORDER 4
#define PREFETCH 16
/* A weight table has 2^bits rows, a count that must fit in Py_ssize_t. */
#define MAX_TABLE_BITS 40

static const uint64_t MULT[MAX_ORDER] = {0x9E3779B97F4A7C15ULL, 0xC2B2AE3D27D4EB4FULL, 0x165667B19E3779F9ULL,
                                         0xD6E8FEB86659FD93ULL};
static const uint64_t SALT_CHAR[MAX_ORDER + 1] = {0, 0x243F6A8885A308D3ULL, 0x13198A2E03707344ULL,
                                                  0xA4093822299F31D0ULL, 0x082EFA98EC4E6C89ULL};
static const uint64_t SALT_WORD = 0x452821E638D01377ULL;
static const uint64_t SALT_WORD_BIGRAM = 0xBE5466CF34E90C6CULL;
static const uint64_t SALT_EXTRA = 0xC0AC29B7C97C50DDULL;

static inline uint64_t fmix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDULL;
    k ^= k >> 33;
    k *= 0xC4CEB9FE1A85EC53ULL;
    k ^= k >> 33;
    return k;
}

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

/* MurmurHash3_x86_32 with seed 0, as mmh3.hash computes it over a str's UTF-8 bytes. */
static uint32_t murmur3_32(const unsigned char *data, Py_ssize_t len) {
    const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
    uint32_t h = 0;
    Py_ssize_t blocks = len / 4;
    for (Py_ssize_t i = 0; i < blocks; i++) {
        const unsigned char *p = data + 4 * i;
        uint32_t k = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        h = rotl32(h, 13);
        h = h * 5 + 0xe6546b64;
    }
    const unsigned char *tail = data + 4 * blocks;
    uint32_t k = 0;
    switch (len & 3) {
        case 3:
            k ^= (uint32_t)tail[2] << 16;
            /* fall through */
        case 2:
            k ^= (uint32_t)tail[1] << 8;
            /* fall through */
        case 1:
            k ^= tail[0];
            k *= c1;
            k = rotl32(k, 15);
            k *= c2;
            h ^= k;
    }
    h ^= (uint32_t)len;
    h ^= h >> 16;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    h *= 0xc2b2ae35;
    h ^= h >> 16;
    return h;
}

/* A growable array of 64-bit feature keys. */
typedef struct {
    uint64_t *keys;
    Py_ssize_t n, cap;
} Keys;

static int keys_reserve(Keys *keys, Py_ssize_t more) {
    if (keys->n + more <= keys->cap) return 0;
    Py_ssize_t cap = keys->cap ? keys->cap : 256;
    while (cap < keys->n + more) cap *= 2;
    uint64_t *grown = PyMem_Realloc(keys->keys, (size_t)cap * sizeof(uint64_t));
    if (!grown) {
        PyErr_NoMemory();
        return -1;
    }
    keys->keys = grown;
    keys->cap = cap;
    return 0;
}

/* The 32-bit word hashes of a sequence of str (mmh3 over UTF-8); NULL with an exception set on error. */
static uint64_t *string_hashes(PyObject *seq, Py_ssize_t *count) {
    PyObject *fast = PySequence_Fast(seq, "words and extra features must be a sequence of str");
    if (!fast) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    uint64_t *out = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(uint64_t));
    if (!out) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return NULL;
    }
    PyObject **items = PySequence_Fast_ITEMS(fast);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t len;
        const char *utf8;
        if (PyBytes_Check(items[i])) { /* as mmh3.hash takes them: the bytes themselves */
            utf8 = PyBytes_AS_STRING(items[i]);
            len = PyBytes_GET_SIZE(items[i]);
        } else if (PyUnicode_Check(items[i])) {
            utf8 = PyUnicode_AsUTF8AndSize(items[i], &len);
        } else {
            PyErr_Format(PyExc_TypeError, "feature strings must be str, got %.100s", Py_TYPE(items[i])->tp_name);
            utf8 = NULL;
        }
        if (!utf8) {
            PyMem_Free(out);
            Py_DECREF(fast);
            return NULL;
        }
        out[i] = murmur3_32((const unsigned char *)utf8, len);
    }
    Py_DECREF(fast);
    *count = n;
    return out;
}

/* Every feature key of one text, as analysis.hashing.feature_keys computes them (order aside). */
static int feature_keys(PyObject *chars, int orders, PyObject *words, int word_bigrams, PyObject *extra,
                        Keys *keys) {
    if (orders & ~((1 << MAX_ORDER) - 1)) {
        PyErr_Format(PyExc_ValueError, "character n-gram orders must lie in 1..%d", MAX_ORDER);
        return -1;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(chars);
    if (orders && length) {
        int kind = PyUnicode_KIND(chars);
        const void *data = PyUnicode_DATA(chars);
        for (int n = 1; n <= MAX_ORDER; n++) {
            if (!(orders & (1 << (n - 1))) || length < n) continue;
            if (keys_reserve(keys, length - n + 1) < 0) return -1;
            for (Py_ssize_t i = 0; i + n <= length; i++) {
                uint64_t k = (uint64_t)PyUnicode_READ(kind, data, i);
                for (int j = 1; j < n; j++) k = k * MULT[j] + (uint64_t)PyUnicode_READ(kind, data, i + j);
                keys->keys[keys->n++] = k ^ SALT_CHAR[n];
            }
        }
    }
    Py_ssize_t n_words = 0;
    uint64_t *hashes = string_hashes(words, &n_words);
    if (!hashes) return -1;
    if (keys_reserve(keys, 2 * n_words) < 0) {
        PyMem_Free(hashes);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n_words; i++) keys->keys[keys->n++] = hashes[i] ^ SALT_WORD;
    if (word_bigrams)
        for (Py_ssize_t i = 0; i + 1 < n_words; i++)
            keys->keys[keys->n++] = (hashes[i] * MULT[0] + hashes[i + 1]) ^ SALT_WORD_BIGRAM;
    PyMem_Free(hashes);
    Py_ssize_t n_extra = 0;
    hashes = string_hashes(extra, &n_extra);
    if (!hashes) return -1;
    if (keys_reserve(keys, n_extra) < 0) {
        PyMem_Free(hashes);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n_extra; i++) keys->keys[keys->n++] = hashes[i] ^ SALT_EXTRA;
    PyMem_Free(hashes);
    return 0;
}

/* Buckets of every key (in place), then the distinct buckets and their counts: an open-addressing table
 * whose slots hold bucket + 1 (0 is empty). Returns the number of distinct buckets, -1 on error. */
typedef struct {
    uint64_t *slot; /* bucket + 1, or 0 */
    double *count;
    Py_ssize_t *order; /* slot indices in insertion order */
} Tally;

static Py_ssize_t tally(Keys *keys, int bits, Tally *t) {
    Py_ssize_t cap = 16;
    while (cap < 2 * keys->n) cap *= 2;
    t->slot = PyMem_Calloc((size_t)cap, sizeof(uint64_t));
    t->count = PyMem_Malloc((size_t)cap * sizeof(double));
    t->order = PyMem_Malloc((size_t)cap * sizeof(Py_ssize_t));
    if (!t->slot || !t->count || !t->order) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t distinct = 0, mask = cap - 1;
    for (Py_ssize_t i = 0; i < keys->n; i++) {
        uint64_t bucket = fmix64(keys->keys[i]) >> (64 - bits);
        Py_ssize_t at = (Py_ssize_t)(bucket & (uint64_t)mask);
        /* Buckets are the top bits of a well-mixed hash, so their low bits probe evenly. */
        while (t->slot[at] && t->slot[at] != bucket + 1) at = (at + 1) & mask;
        if (!t->slot[at]) {
            t->slot[at] = bucket + 1;
            t->count[at] = 0.0;
            t->order[distinct++] = at;
        }
        t->count[at] += 1.0;
    }
    return distinct;
}

static void tally_free(Tally *t) {
    PyMem_Free(t->slot);
    PyMem_Free(t->count);
    PyMem_Free(t->order);
}

static int check_bits(int bits) {
    if (bits < 1 || bits > 63) {
        PyErr_Format(PyExc_ValueError, "bits must lie in 1..63, got %d", bits);
        return -1;
    }
    return 0;
}

typedef struct {
    int64_t bucket;
    double count;
} Entry;

static int by_bucket(const void *a, const void *b) {
    int64_t x = ((const Entry *)a)->bucket, y = ((const Entry *)b)->bucket;
    return (x > y) - (x < y);
}

static PyObject *bucket_counts(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *chars, *words, *extra;
    int orders, word_bigrams, bits;
    if (!PyArg_ParseTuple(args, "UiOpOi:bucket_counts", &chars, &orders, &words, &word_bigrams, &extra, &bits))
        return NULL;
    if (check_bits(bits) < 0) return NULL;
    Keys keys = {NULL, 0, 0};
    Tally t = {NULL, NULL, NULL};
    PyObject *result = NULL;
    Entry *entries = NULL;
    if (feature_keys(chars, orders, words, word_bigrams, extra, &keys) < 0) goto done;
    Py_ssize_t distinct = tally(&keys, bits, &t);
    if (distinct < 0) goto done;
    entries = PyMem_Malloc((size_t)(distinct ? distinct : 1) * sizeof(Entry));
    if (!entries) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < distinct; i++) {
        Py_ssize_t at = t.order[i];
        entries[i].bucket = (int64_t)(t.slot[at] - 1);
        entries[i].count = t.count[at];
    }
    qsort(entries, (size_t)distinct, sizeof(Entry), by_bucket);
    /* bytearrays: numpy arrays over them are writable, as the numpy implementation's are */
    PyObject *buckets = PyByteArray_FromStringAndSize(NULL, distinct * (Py_ssize_t)sizeof(int64_t));
    PyObject *counts = PyByteArray_FromStringAndSize(NULL, distinct * (Py_ssize_t)sizeof(double));
    if (buckets && counts) {
        int64_t *b = (int64_t *)PyByteArray_AS_STRING(buckets);
        double *c = (double *)PyByteArray_AS_STRING(counts);
        for (Py_ssize_t i = 0; i < distinct; i++) {
            b[i] = entries[i].bucket;
            c[i] = entries[i].count;
        }
        result = PyTuple_Pack(2, buckets, counts);
    }
    Py_XDECREF(buckets);
    Py_XDECREF(counts);
done:
    PyMem_Free(entries);
    tally_free(&t);
    PyMem_Free(keys.keys);
    return result;
}

/* ---- MinHash: analysis.dedup's near-duplicate signature ---- */

/* The multiplier that mixes a shingle's three packed code points (analysis.dedup._GOLDEN). */
#define SHINGLE_MULT 0x9E3779B97F4A7C15ULL

/* Code points are mapped through ``word_map`` (65,536 uint16, code points above it read as U+FFFF) and those
 * mapped to 0 dropped; each run of three kept ones is a shingle, hashed as ((c0 << 32 | c1 << 16 | c2) *
 * SHINGLE_MULT) >> 32; and each permutation's value is the least (hash * a + b) mod 2^32 over the shingles. */
static PyObject *minhash(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *text, *result = NULL;
    Py_buffer map, a, b;
    Py_ssize_t min_shingles;
    uint16_t *codes = NULL;
    uint32_t *hashes = NULL, *mins = NULL;
    if (!PyArg_ParseTuple(args, "Uy*y*y*n:minhash", &text, &map, &a, &b, &min_shingles)) return NULL;
    if (map.len != 0x10000 * (Py_ssize_t)sizeof(uint16_t) || a.len != b.len || a.len % sizeof(uint32_t) || !a.len) {
        PyErr_SetString(PyExc_ValueError, "minhash needs a word map of 65536 uint16 and two equal uint32 arrays");
        goto done;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), n = 0, perms = a.len / (Py_ssize_t)sizeof(uint32_t);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const uint16_t *word_map = map.buf;
    codes = PyMem_Malloc((size_t)(length ? length : 1) * sizeof(uint16_t));
    mins = PyMem_Malloc((size_t)perms * sizeof(uint32_t));
    if (!codes || !mins) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 cp = PyUnicode_READ(kind, data, i);
        if (cp >= 0xD800 && cp <= 0xDFFF) { /* a lone surrogate: raise what str.encode("utf-32-le") raises */
            PyObject *encoded = PyUnicode_AsEncodedString(text, "utf-32-le", "strict");
            Py_XDECREF(encoded);
            if (!encoded) goto done;
        }
        uint16_t code = word_map[cp > 0xFFFF ? 0xFFFF : cp];
        if (code) codes[n++] = code;
    }
    if (n - 2 < min_shingles || n < 3) {
        Py_INCREF(Py_None);
        result = Py_None;
        goto done;
    }
    Py_ssize_t shingles = n - 2;
    hashes = PyMem_Malloc((size_t)shingles * sizeof(uint32_t));
    if (!hashes) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < shingles; i++) {
        uint64_t packed = (uint64_t)codes[i] << 32 | (uint64_t)codes[i + 1] << 16 | codes[i + 2];
        hashes[i] = (uint32_t)((packed * SHINGLE_MULT) >> 32);
    }
    const uint32_t *mul = a.buf, *add = b.buf;
    /* Four permutations a pass: four independent minima keep the multiplier busy. */
    Py_ssize_t k = 0;
    for (; k + 4 <= perms; k += 4) {
        uint32_t least[4] = {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
        for (Py_ssize_t i = 0; i < shingles; i++)
            for (int j = 0; j < 4; j++) {
                uint32_t value = hashes[i] * mul[k + j] + add[k + j];
                least[j] = value < least[j] ? value : least[j];
            }
        memcpy(mins + k, least, sizeof(least));
    }
    for (; k < perms; k++) {
        uint32_t least = UINT32_MAX;
        for (Py_ssize_t i = 0; i < shingles; i++) {
            uint32_t value = hashes[i] * mul[k] + add[k];
            least = value < least ? value : least;
        }
        mins[k] = least;
    }
    result = PyByteArray_FromStringAndSize((const char *)mins, perms * (Py_ssize_t)sizeof(uint32_t));
done:
    PyMem_Free(codes);
    PyMem_Free(hashes);
    PyMem_Free(mins);
    PyBuffer_Release(&map);
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    return result;
}

/* ---- Scorer: a linear model's weight table and layout ---- */

typedef struct {
    PyObject_HEAD Py_buffer table;
    int has_table;
    int bits;
    Py_ssize_t width;
    Py_ssize_t idf_col, coef_col, n_coef, m_idf_col, m_coef_col;
    int sublinear, l2, m_sublinear, m_l2;
} Scorer;

static void Scorer_dealloc(Scorer *self) {
    if (self->has_table) PyBuffer_Release(&self->table);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int column_ok(Py_ssize_t col, Py_ssize_t span, Py_ssize_t width, const char *name, int optional) {
    if (optional && col == -1) return 0;
    if (col < 0 || span < 1 || span > width || col > width - span) { /* (no col + span: it could overflow) */
        PyErr_Format(PyExc_ValueError, "%s column %zd (span %zd) lies outside a table of %zd columns", name, col,
                     span, width);
        return -1;
    }
    return 0;
}

/* Arguments are parsed and checked into a local Scorer and copied into ``self`` only once all are valid, so a
 * failed (re-)initialisation leaves ``self`` as it was. */
static int Scorer_init(Scorer *self, PyObject *args, PyObject *kwds) {
    PyObject *table;
    Scorer next;
    if (kwds && PyDict_Size(kwds)) {
        PyErr_SetString(PyExc_TypeError, "Scorer takes its arguments by position only");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "Oinppnnnppn:Scorer", &table, &next.bits, &next.idf_col, &next.sublinear, &next.l2,
                          &next.coef_col, &next.n_coef, &next.m_idf_col, &next.m_sublinear, &next.m_l2,
                          &next.m_coef_col))
        return -1;
    if (next.bits < 1 || next.bits > MAX_TABLE_BITS) {
        PyErr_Format(PyExc_ValueError, "a weight table's bits must lie in 1..%d, got %d", MAX_TABLE_BITS, next.bits);
        return -1;
    }
    if (PyObject_GetBuffer(table, &next.table, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_ND) < 0) return -1;
    Py_buffer *view = &next.table;
    if (view->ndim != 2 || view->itemsize != sizeof(double) || !view->format || strcmp(view->format, "d") != 0) {
        PyErr_SetString(PyExc_ValueError, "the weight table must be a C-contiguous 2-D float64 array");
        goto refused;
    }
    if (view->shape[0] != ((Py_ssize_t)1 << next.bits)) {
        PyErr_Format(PyExc_ValueError, "the weight table has %zd rows; %d-bit hashing needs %zd", view->shape[0],
                     next.bits, (Py_ssize_t)1 << next.bits);
        goto refused;
    }
    next.width = view->shape[1];
    if (column_ok(next.idf_col, 1, next.width, "idf", 1) < 0 ||
        column_ok(next.coef_col, next.n_coef, next.width, "weight", 0) < 0 ||
        column_ok(next.m_idf_col, 1, next.width, "margin idf", 1) < 0 ||
        column_ok(next.m_coef_col, 1, next.width, "margin weight", 1) < 0)
        goto refused;
    if (self->has_table) PyBuffer_Release(&self->table);
    self->table = next.table;
    self->has_table = 1;
    self->bits = next.bits;
    self->width = next.width;
    self->idf_col = next.idf_col;
    self->coef_col = next.coef_col;
    self->n_coef = next.n_coef;
    self->m_idf_col = next.m_idf_col;
    self->m_coef_col = next.m_coef_col;
    self->sublinear = next.sublinear;
    self->l2 = next.l2;
    self->m_sublinear = next.m_sublinear;
    self->m_l2 = next.m_l2;
    return 0;
refused:
    PyBuffer_Release(&next.table);
    return -1;
}

static PyObject *Scorer_scores(Scorer *self, PyObject *args) {
    PyObject *chars, *words, *extra;
    int orders, word_bigrams;
    if (!PyArg_ParseTuple(args, "UiOpO:scores", &chars, &orders, &words, &word_bigrams, &extra)) return NULL;
    if (!self->has_table) {
        PyErr_SetString(PyExc_RuntimeError, "Scorer was not initialised");
        return NULL;
    }
    Keys keys = {NULL, 0, 0};
    Tally t = {NULL, NULL, NULL};
    PyObject *result = NULL;
    double *sums = NULL;
    if (feature_keys(chars, orders, words, word_bigrams, extra, &keys) < 0) goto done;
    Py_ssize_t distinct = tally(&keys, self->bits, &t);
    if (distinct < 0) goto done;
    Py_ssize_t n = self->n_coef;
    sums = PyMem_Calloc((size_t)n, sizeof(double));
    if (!sums) {
        PyErr_NoMemory();
        goto done;
    }
    const double *table = (const double *)self->table.buf;
    const Py_ssize_t width = self->width;
    double norm2 = 0.0, m_norm2 = 0.0, margin = 0.0;
    /* The rows are scattered over a table far larger than the caches: ask for them a few features ahead. */
    for (Py_ssize_t i = 0; i < distinct && i < PREFETCH; i++)
        __builtin_prefetch(table + (Py_ssize_t)(t.slot[t.order[i]] - 1) * width);
    for (Py_ssize_t i = 0; i < distinct; i++) {
        if (i + PREFETCH < distinct) {
            const double *ahead = table + (Py_ssize_t)(t.slot[t.order[i + PREFETCH]] - 1) * width;
            __builtin_prefetch(ahead);
            __builtin_prefetch(ahead + width - 1);
        }
        Py_ssize_t at = t.order[i];
        const double *row = table + (Py_ssize_t)(t.slot[at] - 1) * width;
        double count = t.count[at];
        double tf = self->sublinear ? log(count) + 1.0 : count;
        double value = self->idf_col >= 0 ? tf * row[self->idf_col] : tf;
        norm2 += value * value;
        const double *coef = row + self->coef_col;
        for (Py_ssize_t c = 0; c < n; c++) sums[c] += value * coef[c];
        if (self->m_coef_col >= 0) {
            double m_tf = self->m_sublinear ? log(count) + 1.0 : count;
            double m_value = self->m_idf_col >= 0 ? m_tf * row[self->m_idf_col] : m_tf;
            m_norm2 += m_value * m_value;
            margin += m_value * row[self->m_coef_col];
        }
    }
    if (self->l2 && norm2 > 0) {
        double norm = sqrt(norm2);
        for (Py_ssize_t c = 0; c < n; c++) sums[c] /= norm;
    }
    if (self->m_l2 && m_norm2 > 0) margin /= sqrt(m_norm2);
    result = PyTuple_New(n + (self->m_coef_col >= 0 ? 1 : 0));
    if (!result) goto done;
    for (Py_ssize_t c = 0; c < n; c++) {
        PyObject *value = PyFloat_FromDouble(sums[c]);
        if (!value) {
            Py_CLEAR(result);
            goto done;
        }
        PyTuple_SET_ITEM(result, c, value);
    }
    if (self->m_coef_col >= 0) {
        PyObject *value = PyFloat_FromDouble(margin);
        if (!value) {
            Py_CLEAR(result);
            goto done;
        }
        PyTuple_SET_ITEM(result, n, value);
    }
done:
    PyMem_Free(sums);
    tally_free(&t);
    PyMem_Free(keys.keys);
    return result;
}

static PyMethodDef Scorer_methods[] = {
    {"scores", (PyCFunction)Scorer_scores, METH_VARARGS,
     "scores(chars, orders, words, word_bigrams, extra) -> the weighted features' dot products"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScorerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "analysis._native.Scorer",
    .tp_basicsize = sizeof(Scorer),
    .tp_dealloc = (destructor)Scorer_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A linear model's per-bucket weight table and its column layout.",
    .tp_methods = Scorer_methods,
    .tp_init = (initproc)Scorer_init,
    .tp_new = PyType_GenericNew,
};

static PyMethodDef module_methods[] = {
    {"bucket_counts", bucket_counts, METH_VARARGS,
     "bucket_counts(chars, orders, words, word_bigrams, extra, bits) -> (int64 buckets, float64 counts) as bytearrays"},
    {"minhash", minhash, METH_VARARGS,
     "minhash(text, word_map, a, b, min_shingles) -> analysis.dedup's MinHash signature (uint32) as a bytearray, "
     "or None when the text has fewer than min_shingles shingles"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "analysis._native",
    "Hashed n-gram features, linear scores and the near-duplicate signature of one text (see analysis/hashing.py "
    "and analysis/dedup.py for the specification).", -1,
    module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__native(void) {
    if (PyType_Ready(&ScorerType) < 0) return NULL;
    PyObject *module = PyModule_Create(&native_module);
    if (!module) return NULL;
    Py_INCREF(&ScorerType);
    if (PyModule_AddObject(module, "Scorer", (PyObject *)&ScorerType) < 0 ||
        PyModule_AddIntConstant(module, "VERSION", NATIVE_VERSION) < 0) {
        Py_DECREF(&ScorerType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
