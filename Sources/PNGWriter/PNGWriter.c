#include "PNGWriter.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>

struct session {
    jmp_buf jump;
    char *error;
    size_t error_size;
    srlab_png_write_fn write;
    void *context;
};

static void on_error(png_structp png, png_const_charp message) {
    struct session *s = png_get_error_ptr(png);
    snprintf(s->error, s->error_size, "%s", message);
    longjmp(s->jump, 1);
}

static void on_warning(png_structp png, png_const_charp message) { (void)png; (void)message; }

static void on_write(png_structp png, png_bytep bytes, size_t count) {
    struct session *s = png_get_io_ptr(png);
    if (!s->write(s->context, bytes, count)) png_error(png, "the output could not be written");
}

static void on_flush(png_structp png) { (void)png; }

int srlab_png_encode(int width, int height, int channels, int level, int filters,
                     srlab_png_row_fn row, srlab_png_write_fn write, void *context,
                     char *error, size_t error_size) {
    static const int colour_types[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                       PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    if (channels < 1 || channels > 4 || width <= 0 || height <= 0 || level < 0 || level > 9) {
        snprintf(error, error_size, "cannot encode %dx%d with %d channels at level %d", width, height, channels, level);
        return 0;
    }
    struct session s = {.error = error, .error_size = error_size, .write = write, .context = context};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &s, on_error, on_warning);
    if (!png) { snprintf(error, error_size, "out of memory"); return 0; }
    png_infop info = png_create_info_struct(png);
    if (!info) { png_destroy_write_struct(&png, NULL); snprintf(error, error_size, "out of memory"); return 0; }
    // png and info are not changed after this point, so they are valid after a longjmp.
    if (setjmp(s.jump)) { png_destroy_write_struct(&png, &info); return 0; }
    png_set_write_fn(png, &s, on_write, on_flush);
    png_set_compression_level(png, level);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, filters);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, colour_types[channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) {
        const unsigned char *pixels = row(context, y);
        if (!pixels) png_error(png, "the pixel rows ended early");
        png_write_row(png, pixels);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return 1;
}
