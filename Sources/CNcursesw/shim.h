#ifndef LABELAUDIT_CNCURSESW_SHIM_H
#define LABELAUDIT_CNCURSESW_SHIM_H
/* Wide-character ncurses for Swift. Everything below exists because Swift cannot import
 * C macros with arguments or mutable C globals (Swift 6 treats them as unsafe shared state). */
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <wchar.h>
#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <langinfo.h>

static inline WINDOW *la_stdscr(void) { return stdscr; }
static inline int la_lines(void) { return LINES; }
static inline int la_cols(void) { return COLS; }
static inline int la_colors(void) { return COLORS; }
static inline int la_color_pairs(void) { return COLOR_PAIRS; }
static inline void la_getmaxyx(WINDOW *w, int *y, int *x) { int yy, xx; getmaxyx(w, yy, xx); *y = yy; *x = xx; }
static inline void la_getyx(WINDOW *w, int *y, int *x) { int yy, xx; getyx(w, yy, xx); *y = yy; *x = xx; }

static inline attr_t la_a_normal(void) { return A_NORMAL; }
static inline attr_t la_a_bold(void) { return A_BOLD; }
static inline attr_t la_a_dim(void) { return A_DIM; }
static inline attr_t la_a_reverse(void) { return A_REVERSE; }
static inline attr_t la_a_underline(void) { return A_UNDERLINE; }
static inline attr_t la_a_standout(void) { return A_STANDOUT; }
static inline attr_t la_a_italic(void) { return A_ITALIC; }
static inline attr_t la_wa_normal(void) { return WA_NORMAL; }
static inline attr_t la_wa_bold(void) { return WA_BOLD; }
static inline attr_t la_wa_dim(void) { return WA_DIM; }
static inline attr_t la_wa_reverse(void) { return WA_REVERSE; }
static inline attr_t la_wa_underline(void) { return WA_UNDERLINE; }
static inline int la_color_pair(int n) { return COLOR_PAIR(n); }

static inline int la_key_f(int n) { return KEY_F(n); }
static inline int la_key_resize(void) { return KEY_RESIZE; }
static inline int la_key_mouse(void) { return KEY_MOUSE; }

static inline mmask_t la_all_mouse_events(void) { return ALL_MOUSE_EVENTS; }
static inline mmask_t la_report_mouse_position(void) { return REPORT_MOUSE_POSITION; }
static inline mmask_t la_button1_clicked(void) { return BUTTON1_CLICKED; }
static inline mmask_t la_button1_pressed(void) { return BUTTON1_PRESSED; }
static inline mmask_t la_button1_released(void) { return BUTTON1_RELEASED; }
static inline mmask_t la_button1_double_clicked(void) { return BUTTON1_DOUBLE_CLICKED; }
static inline mmask_t la_button4_pressed(void) { return BUTTON4_PRESSED; }
static inline mmask_t la_button5_pressed(void) { return BUTTON5_PRESSED; }

static inline chtype la_acs_hline(void) { return ACS_HLINE; }
static inline chtype la_acs_vline(void) { return ACS_VLINE; }
static inline chtype la_acs_ulcorner(void) { return ACS_ULCORNER; }
static inline chtype la_acs_urcorner(void) { return ACS_URCORNER; }
static inline chtype la_acs_llcorner(void) { return ACS_LLCORNER; }
static inline chtype la_acs_lrcorner(void) { return ACS_LRCORNER; }
static inline const cchar_t *la_wacs_hline(void) { return WACS_HLINE; }
static inline const cchar_t *la_wacs_vline(void) { return WACS_VLINE; }
static inline const cchar_t *la_wacs_ulcorner(void) { return WACS_ULCORNER; }
static inline const cchar_t *la_wacs_urcorner(void) { return WACS_URCORNER; }
static inline const cchar_t *la_wacs_llcorner(void) { return WACS_LLCORNER; }
static inline const cchar_t *la_wacs_lrcorner(void) { return WACS_LRCORNER; }

/* Extended colour pairs (> 255) must go through the opts pointer: COLOR_PAIR() truncates. */
static inline int la_wattr_set_pair(WINDOW *w, attr_t attrs, int pair) {
    return wattr_set(w, attrs, (short)0, &pair);
}
static inline int la_setcchar_pair(cchar_t *wcval, const wchar_t *wch, attr_t attrs, int pair) {
    return setcchar(wcval, wch, attrs, (short)0, &pair);
}
/* stdio's streams are mutable C globals, which Swift 6 refuses to read directly. */
static inline FILE *la_stdout_file(void) { return stdout; }
static inline FILE *la_stdin_file(void) { return stdin; }
static inline attr_t la_wa_italic(void) { return WA_ITALIC; }
static inline int la_key_code_yes(void) { return KEY_CODE_YES; }

/* 1 when the current locale's character set (after setlocale) is UTF-8. */
static inline int la_locale_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}
#endif
