#ifndef SRLAB_PNG_WRITER_H
#define SRLAB_PNG_WRITER_H

#include <stddef.h>

/// Returns the pixels of row `y` (width × channels bytes), or NULL to abandon the encoding.
typedef const unsigned char *_Nullable (*srlab_png_row_fn)(void *_Nullable context, int y);
/// Takes the next `count` bytes of the file; returns 0 to abandon the encoding.
typedef int (*srlab_png_write_fn)(void *_Nullable context, const unsigned char *_Nonnull bytes, size_t count);

/// Filters a row may use: libpng's PNG_FILTER_NONE … PNG_FILTER_PAETH bits.
enum {
    srlab_png_filter_none = 0x08, srlab_png_filter_sub = 0x10, srlab_png_filter_up = 0x20,
    srlab_png_filter_average = 0x40, srlab_png_filter_paeth = 0x80, srlab_png_filter_all = 0xF8,
};

/// Encodes an 8-bit PNG (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA channels) row by row through libpng,
/// so the caller never needs the whole image or the whole file in memory. `level` is zlib's
/// (0…9), `filters` a set of the bits above. Returns 1 on success; on failure 0 with a message
/// in `error`. libpng reports errors by longjmp, which is why this lives in C.
int srlab_png_encode(int width, int height, int channels, int level, int filters,
                     srlab_png_row_fn _Nonnull row, srlab_png_write_fn _Nonnull write, void *_Nullable context,
                     char *_Nonnull error, size_t error_size);

#endif
