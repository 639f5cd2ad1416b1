/* tmpfile_int.h — what the writers of result files share (sim/tmpfile.c). Internal. */
#ifndef MH_TMPFILE_INT_H
#define MH_TMPFILE_INT_H

/* 1 when path names an existing file that is not a regular file (/dev/null, a FIFO, a terminal):
 * written in place, since a temporary renamed over it would replace the device or pipe. */
int mh_path_special(const char *path);

#endif
