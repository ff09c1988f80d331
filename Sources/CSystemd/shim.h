#ifndef DUTYD_CSYSTEMD_SHIM_H
#define DUTYD_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>
#include <sys/timerfd.h>
#include <sys/eventfd.h>
/* malloc_trim(3): the daemon hands freed heap pages back after loading its schedules. */
#include <malloc.h>
#endif
