#include "cjpeg_shim.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <jpeglib.h>
#include <jerror.h>

/* libjpeg's default error manager prints to stderr and calls exit(). This one remembers the
 * message and longjmps back; warnings are counted and never printed (they would tear a TUI). */
typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf escape;
    char *message;
    int warnings;
} la_error_mgr;

static void la_error_exit(j_common_ptr cinfo) {
    la_error_mgr *err = (la_error_mgr *)cinfo->err;
    if (err->message) {
        char buffer[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, buffer);
        snprintf(err->message, LA_JPEG_MESSAGE_MAX, "%s", buffer);
    }
    longjmp(err->escape, 1);
}

/* A truncated file is only a warning to libjpeg (it pads the picture with grey); for us it is
 * an error with libjpeg's own words, raised at once so a damaged file costs no further work. */
static void la_emit_message(j_common_ptr cinfo, int msg_level) {
    la_error_mgr *err = (la_error_mgr *)cinfo->err;
    if (msg_level < 0) {
        err->warnings += 1;
        if (err->pub.msg_code == JWRN_JPEG_EOF) la_error_exit(cinfo);
    }
}

static void la_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void la_install(la_error_mgr *err, char *message) {
    jpeg_std_error(&err->pub);
    err->pub.error_exit = la_error_exit;
    err->pub.emit_message = la_emit_message;
    err->pub.output_message = la_output_message;
    err->message = message;
    err->warnings = 0;
    if (message) message[0] = 0;
}

static void la_set_message(char *message, const char *text) {
    if (message) snprintf(message, LA_JPEG_MESSAGE_MAX, "%s", text);
}

int la_jpeg_read_info(const uint8_t *data, size_t size, la_jpeg_info *info, char message[LA_JPEG_MESSAGE_MAX]) {
    if (size == 0 || data == NULL) { la_set_message(message, "Empty input file"); return 1; }
    struct jpeg_decompress_struct cinfo;
    la_error_mgr err;
    la_install(&err, message);
    cinfo.err = &err.pub;
    if (setjmp(err.escape)) { jpeg_destroy_decompress(&cinfo); return 1; }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    info->components = cinfo.num_components;
    info->progressive = cinfo.progressive_mode ? 1 : 0;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

static int la_prepare(struct jpeg_decompress_struct *cinfo, int scale_num) {
    if (scale_num < 1) scale_num = 1;
    if (scale_num > 8) scale_num = 8;
    cinfo->scale_num = (unsigned int)scale_num;
    cinfo->scale_denom = 8;
    switch (cinfo->jpeg_color_space) {
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo->out_color_space = JCS_CMYK;  /* converted to RGB by hand below */
        break;
    default:
        cinfo->out_color_space = JCS_RGB;   /* grayscale and YCbCr both expand to RGB */
        break;
    }
    cinfo->dct_method = JDCT_ISLOW;
    /* Reduced scales feed an area average into cells: the cheaper box chroma upsampling is
     * invisible there and saves a large share of the decode time. Full size keeps fancy. */
    if (scale_num < 8) cinfo->do_fancy_upsampling = FALSE;
    jpeg_calc_output_dimensions(cinfo);
    return 0;
}

/* Adobe writes inverted CMYK in JPEG; libjpeg hands it back as stored. */
static void la_cmyk_to_rgb(const uint8_t *cmyk, uint8_t *rgb, size_t count, int adobe) {
    for (size_t x = 0; x < count; x++) {
        unsigned c = cmyk[4 * x], m = cmyk[4 * x + 1], y = cmyk[4 * x + 2], k = cmyk[4 * x + 3];
        if (adobe) {  /* inverted: values are 255 - ink */
            rgb[3 * x] = (uint8_t)(c * k / 255);
            rgb[3 * x + 1] = (uint8_t)(m * k / 255);
            rgb[3 * x + 2] = (uint8_t)(y * k / 255);
        } else {
            rgb[3 * x] = (uint8_t)((255 - c) * (255 - k) / 255);
            rgb[3 * x + 1] = (uint8_t)((255 - m) * (255 - k) / 255);
            rgb[3 * x + 2] = (uint8_t)((255 - y) * (255 - k) / 255);
        }
    }
}

int la_jpeg_scaled_size(const uint8_t *data, size_t size, int scale_num, int *out_width, int *out_height,
                        char message[LA_JPEG_MESSAGE_MAX]) {
    if (size == 0 || data == NULL) { la_set_message(message, "Empty input file"); return 1; }
    struct jpeg_decompress_struct cinfo;
    la_error_mgr err;
    la_install(&err, message);
    cinfo.err = &err.pub;
    if (setjmp(err.escape)) { jpeg_destroy_decompress(&cinfo); return 1; }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    la_prepare(&cinfo, scale_num);
    *out_width = (int)cinfo.output_width;
    *out_height = (int)cinfo.output_height;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int la_jpeg_decode_rgb(const uint8_t *data, size_t size, int scale_num, int max_side,
                       uint8_t *out, size_t out_capacity, int *out_width, int *out_height,
                       int *warnings, char message[LA_JPEG_MESSAGE_MAX]) {
    if (size == 0 || data == NULL) { la_set_message(message, "Empty input file"); return 1; }
    struct jpeg_decompress_struct cinfo;
    la_error_mgr err;
    /* volatile: modified between setjmp and longjmp */
    uint8_t *volatile cmyk_row = NULL;
    la_install(&err, message);
    cinfo.err = &err.pub;
    if (setjmp(err.escape)) {
        jpeg_destroy_decompress(&cinfo);
        free(cmyk_row);
        if (warnings) *warnings = err.warnings;
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    /* Progressive and multi-scan files keep whole-image coefficient arrays; past this budget
     * libjpeg fails ("Backing store not supported") instead of taking the machine's memory. */
    cinfo.mem->max_memory_to_use = LA_JPEG_MAX_MEMORY;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (max_side > 0 && ((int)cinfo.image_width > max_side || (int)cinfo.image_height > max_side)) {
        snprintf(message, LA_JPEG_MESSAGE_MAX, "Image is %ux%u, larger than the limit of %d pixels a side",
                 cinfo.image_width, cinfo.image_height, max_side);
        jpeg_destroy_decompress(&cinfo);
        return 2;
    }
    la_prepare(&cinfo, scale_num);
    size_t w = cinfo.output_width, h = cinfo.output_height;
    if (w * h * 3 > out_capacity) {
        la_set_message(message, "Output buffer too small for the decoded image");
        jpeg_destroy_decompress(&cinfo);
        return 3;
    }
    int is_cmyk = cinfo.out_color_space == JCS_CMYK;
    /* Adobe writes inverted CMYK in JPEG; libjpeg hands it back as stored. */
    if (is_cmyk) {
        cmyk_row = (uint8_t *)malloc(w * 4);
        if (!cmyk_row) { la_set_message(message, "Out of memory"); jpeg_destroy_decompress(&cinfo); return 4; }
    }
    jpeg_start_decompress(&cinfo);
    if ((size_t)cinfo.output_width != w || (size_t)cinfo.output_height != h) {
        la_set_message(message, "Unexpected output size");
        jpeg_abort_decompress(&cinfo);
        jpeg_destroy_decompress(&cinfo);
        free(cmyk_row);
        return 3;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *row = out + (size_t)cinfo.output_scanline * w * 3;
        if (is_cmyk) {
            JSAMPROW rows[1] = { cmyk_row };
            jpeg_read_scanlines(&cinfo, rows, 1);
            la_cmyk_to_rgb(cmyk_row, row, w, cinfo.saw_Adobe_marker);
        } else {
            JSAMPROW rows[1] = { row };
            jpeg_read_scanlines(&cinfo, rows, 1);
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(cmyk_row);
    *out_width = (int)w;
    *out_height = (int)h;
    if (warnings) *warnings = err.warnings;
    return 0;
}

struct la_jpeg_decoder {
    struct jpeg_decompress_struct cinfo;
    la_error_mgr err;
    uint8_t *row;          /* one decoded (cropped) scanline, 4 bytes a pixel for CMYK */
    size_t row_capacity;
};

la_jpeg_decoder *la_jpeg_decoder_create(void) {
    la_jpeg_decoder *d = (la_jpeg_decoder *)calloc(1, sizeof(la_jpeg_decoder));
    if (!d) return NULL;
    la_install(&d->err, NULL);
    d->cinfo.err = &d->err.pub;
    if (setjmp(d->err.escape)) { free(d); return NULL; }  /* out of memory in jpeg_create */
    jpeg_create_decompress(&d->cinfo);
    return d;
}

void la_jpeg_decoder_destroy(la_jpeg_decoder *d) {
    if (!d) return;
    jpeg_destroy_decompress(&d->cinfo);
    free(d->row);
    free(d);
}

static int la_band_edge(double fraction, int size, int round_up) {
    double v = fraction * (double)size;
    int edge = round_up ? (int)ceil(v - 1e-9) : (int)floor(v + 1e-9);
    return edge < 0 ? 0 : (edge > size ? size : edge);
}

int la_jpeg_decode_band(la_jpeg_decoder *d, const uint8_t *data, size_t size, int max_side,
                        int min_width, int min_height, double x0, double x1, double y0, double y1,
                        uint8_t *out, size_t out_capacity, la_jpeg_band *band,
                        int *warnings, char message[LA_JPEG_MESSAGE_MAX]) {
    memset(band, 0, sizeof(*band));
    if (warnings) *warnings = 0;
    if (size == 0 || data == NULL) { la_set_message(message, "Empty input file"); return 1; }
    if (!d) { la_set_message(message, "No decoder"); return 4; }
    struct jpeg_decompress_struct *cinfo = &d->cinfo;
    la_install(&d->err, message);
    /* Reset to a fresh state whatever the last image did (finished, failed or stopped early). */
    jpeg_abort_decompress(cinfo);
    if (setjmp(d->err.escape)) {
        jpeg_abort_decompress(cinfo);
        if (warnings) *warnings = d->err.warnings;
        return 1;
    }
    cinfo->mem->max_memory_to_use = LA_JPEG_MAX_MEMORY;
    jpeg_mem_src(cinfo, data, (unsigned long)size);
    jpeg_read_header(cinfo, TRUE);
    int width = (int)cinfo->image_width, height = (int)cinfo->image_height;
    if (max_side > 0 && (width > max_side || height > max_side)) {
        snprintf(message, LA_JPEG_MESSAGE_MAX, "Image is %dx%d, larger than the limit of %d pixels a side",
                 width, height, max_side);
        band->scaled_width = width;   /* the size in the file, for the caller's message */
        band->scaled_height = height;
        jpeg_abort_decompress(cinfo);
        return 2;
    }
    int scale = 8;
    for (int n = 1; n <= 8; n++) {
        if ((width * n + 7) / 8 >= min_width && (height * n + 7) / 8 >= min_height) { scale = n; break; }
    }
    la_prepare(cinfo, scale);
    int sw = (int)cinfo->output_width, sh = (int)cinfo->output_height;
    int left = la_band_edge(x0, sw, 0), right = la_band_edge(x1, sw, 1);
    int top = la_band_edge(y0, sh, 0), bottom = la_band_edge(y1, sh, 1);
    if (right <= left) { if (left >= sw) left = sw - 1; right = left + 1; }
    if (bottom <= top) { if (top >= sh) top = sh - 1; bottom = top + 1; }
    band->scale_num = scale;
    band->scaled_width = sw;
    band->scaled_height = sh;
    band->x = left;
    band->y = top;
    band->width = right - left;
    band->height = bottom - top;
    if ((size_t)band->width * (size_t)band->height * 3 > out_capacity) {
        la_set_message(message, "Output buffer too small for the band");
        jpeg_abort_decompress(cinfo);
        return 3;
    }
    int is_cmyk = cinfo->out_color_space == JCS_CMYK;
    jpeg_start_decompress(cinfo);
    JDIMENSION crop_x = (JDIMENSION)left, crop_width = (JDIMENSION)(right - left);
#ifdef LIBJPEG_TURBO_VERSION
    /* Widened to whole iMCU columns: crop_x may move left, crop_width grow. */
    if (crop_width < cinfo->output_width) jpeg_crop_scanline(cinfo, &crop_x, &crop_width);
    else crop_x = 0, crop_width = cinfo->output_width;
#else
    crop_x = 0;
    crop_width = cinfo->output_width;
#endif
    size_t needed = (size_t)cinfo->output_width * (size_t)(is_cmyk ? 4 : 3);
    if (needed > d->row_capacity) {
        uint8_t *grown = (uint8_t *)realloc(d->row, needed);
        if (!grown) { la_set_message(message, "Out of memory"); jpeg_abort_decompress(cinfo); return 4; }
        d->row = grown;
        d->row_capacity = needed;
    }
#ifdef LIBJPEG_TURBO_VERSION
    if (top > 0) jpeg_skip_scanlines(cinfo, (JDIMENSION)top);
#else
    while ((int)cinfo->output_scanline < top) {
        JSAMPROW rows[1] = { d->row };
        jpeg_read_scanlines(cinfo, rows, 1);
    }
#endif
    size_t skip = (size_t)(left - (int)crop_x);
    size_t row_bytes = (size_t)band->width * 3;
    for (int y = 0; y < band->height; y++) {
        JSAMPROW rows[1] = { d->row };
        if (jpeg_read_scanlines(cinfo, rows, 1) != 1) {
            la_set_message(message, "Premature end of JPEG file");
            jpeg_abort_decompress(cinfo);
            return 1;
        }
        uint8_t *dst = out + (size_t)y * row_bytes;
        if (is_cmyk) la_cmyk_to_rgb(d->row + skip * 4, dst, (size_t)band->width, cinfo->saw_Adobe_marker);
        else memcpy(dst, d->row + skip * 3, row_bytes);
    }
    /* The rows below the band are never decoded. */
    jpeg_abort_decompress(cinfo);
    if (warnings) *warnings = d->err.warnings;
    return 0;
}

int la_jpeg_encode_rgb(const uint8_t *rgb, int width, int height, int quality,
                       uint8_t **out, size_t *out_size, char message[LA_JPEG_MESSAGE_MAX]) {
    struct jpeg_compress_struct cinfo;
    la_error_mgr err;
    unsigned char *volatile buffer = NULL;
    unsigned long buffer_size = 0;
    la_install(&err, message);
    cinfo.err = &err.pub;
    if (width <= 0 || height <= 0 || rgb == NULL) { la_set_message(message, "Empty image"); return 1; }
    if (setjmp(err.escape)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return 1;
    }
    jpeg_create_compress(&cinfo);
    unsigned char *b = NULL;
    jpeg_mem_dest(&cinfo, &b, &buffer_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    cinfo.dct_method = JDCT_ISLOW;
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW rows[1] = { (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * (size_t)width * 3) };
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    buffer = b;
    jpeg_destroy_compress(&cinfo);
    *out = buffer;
    *out_size = (size_t)buffer_size;
    return 0;
}

void la_jpeg_free(void *p) { free(p); }
