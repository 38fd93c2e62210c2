#ifndef LABELAUDIT_CJPEG_SHIM_H
#define LABELAUDIT_CJPEG_SHIM_H
/* A safe face over libjpeg(-turbo): errors come back as values with libjpeg's message,
 * nothing is printed, nothing calls exit(). Pixels are always interleaved 8-bit RGB. */
#include <stddef.h>
#include <stdint.h>

#define LA_JPEG_MESSAGE_MAX 200
/* Memory libjpeg may use for one decode (coefficient buffers of progressive files). */
#define LA_JPEG_MAX_MEMORY (512L * 1024 * 1024)

typedef struct {
    int width;          /* image size in the file */
    int height;
    int components;     /* in the file: 1 gray, 3 YCbCr/RGB, 4 CMYK/YCCK */
    int progressive;    /* 1 when progressive */
} la_jpeg_info;

/* 0 on success; otherwise non-zero and `message` holds libjpeg's text. */
int la_jpeg_read_info(const uint8_t *data, size_t size, la_jpeg_info *info, char message[LA_JPEG_MESSAGE_MAX]);

/* Decodes with DCT scaling `scale_num`/8 (1...8). `out` must hold out_width*out_height*3 bytes,
 * where the caller learns out_width/out_height from la_jpeg_scaled_size. Refuses images whose
 * side exceeds max_side before allocating anything. */
int la_jpeg_scaled_size(const uint8_t *data, size_t size, int scale_num, int *out_width, int *out_height,
                        char message[LA_JPEG_MESSAGE_MAX]);
int la_jpeg_decode_rgb(const uint8_t *data, size_t size, int scale_num, int max_side,
                       uint8_t *out, size_t out_capacity, int *out_width, int *out_height,
                       int *warnings, char message[LA_JPEG_MESSAGE_MAX]);

/* A reusable decoder for feature extraction: one per worker thread, reused for every image it
 * decodes (libjpeg's decompressor and a row buffer are allocated once, not per image). Not
 * thread-safe: never share one between threads. */
typedef struct la_jpeg_decoder la_jpeg_decoder;
la_jpeg_decoder *la_jpeg_decoder_create(void);
void la_jpeg_decoder_destroy(la_jpeg_decoder *decoder);

/* What la_jpeg_decode_band decoded. */
typedef struct {
    int scale_num;       /* DCT scale used, over 8 */
    int scaled_width;    /* the whole picture at that scale */
    int scaled_height;
    int x, y;            /* the band's top-left corner in the scaled picture */
    int width, height;   /* the band's size; the output holds width * height * 3 bytes */
} la_jpeg_band;

/* Decodes only a band of the picture: the region x0...x1, y0...y1 (fractions of the width and
 * height, edges rounded outwards) at the smallest DCT scale (1/8...8/8) whose picture covers
 * min_width x min_height. Rows above the band are skipped without colour conversion or IDCT
 * (jpeg_skip_scanlines), columns outside it are not transformed (jpeg_crop_scanline), and
 * decoding stops after its last row. On success `band` says what `out` holds. Returns 3 when
 * `out_capacity` is too small: `band` then holds the size needed, call again with more. Same
 * error contract as la_jpeg_decode_rgb; on 2 (too large) scaled_width/height hold the file size. */
int la_jpeg_decode_band(la_jpeg_decoder *decoder, const uint8_t *data, size_t size, int max_side,
                        int min_width, int min_height, double x0, double x1, double y0, double y1,
                        uint8_t *out, size_t out_capacity, la_jpeg_band *band,
                        int *warnings, char message[LA_JPEG_MESSAGE_MAX]);

/* Encodes interleaved RGB. On success *out is malloc'ed (free it with la_jpeg_free). */
int la_jpeg_encode_rgb(const uint8_t *rgb, int width, int height, int quality,
                       uint8_t **out, size_t *out_size, char message[LA_JPEG_MESSAGE_MAX]);
void la_jpeg_free(void *p);
#endif
