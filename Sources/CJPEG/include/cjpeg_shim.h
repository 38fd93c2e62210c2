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

/* Encodes interleaved RGB. On success *out is malloc'ed (free it with la_jpeg_free). */
int la_jpeg_encode_rgb(const uint8_t *rgb, int width, int height, int quality,
                       uint8_t **out, size_t *out_size, char message[LA_JPEG_MESSAGE_MAX]);
void la_jpeg_free(void *p);
#endif
