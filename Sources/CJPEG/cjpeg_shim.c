#include "cjpeg_shim.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
            for (size_t x = 0; x < w; x++) {
                unsigned c = cmyk_row[4 * x], m = cmyk_row[4 * x + 1], y = cmyk_row[4 * x + 2], k = cmyk_row[4 * x + 3];
                if (cinfo.saw_Adobe_marker) {  /* inverted: values are 255 - ink */
                    row[3 * x] = (uint8_t)(c * k / 255);
                    row[3 * x + 1] = (uint8_t)(m * k / 255);
                    row[3 * x + 2] = (uint8_t)(y * k / 255);
                } else {
                    row[3 * x] = (uint8_t)((255 - c) * (255 - k) / 255);
                    row[3 * x + 1] = (uint8_t)((255 - m) * (255 - k) / 255);
                    row[3 * x + 2] = (uint8_t)((255 - y) * (255 - k) / 255);
                }
            }
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
