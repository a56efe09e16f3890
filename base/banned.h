/* SPDX-License-Identifier: MIT */
/* Functions we never call; include after every system header. */
#ifndef CV_BASE_BANNED_H
#define CV_BASE_BANNED_H

#define CV_BANNED(func) sorry_##func##_is_banned_in_credvault

#undef strcpy
#define strcpy(x, y) CV_BANNED(strcpy)
#undef strcat
#define strcat(x, y) CV_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) CV_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) CV_BANNED(strncat)
#undef sprintf
#define sprintf(...) CV_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) CV_BANNED(vsprintf)
#undef gets
#define gets(x) CV_BANNED(gets)
#undef atoi
#define atoi(x) CV_BANNED(atoi)
#undef atol
#define atol(x) CV_BANNED(atol)
#undef atoll
#define atoll(x) CV_BANNED(atoll)
#undef strtok
#define strtok(x, y) CV_BANNED(strtok)
#undef scanf
#define scanf(...) CV_BANNED(scanf)
#undef sscanf
#define sscanf(...) CV_BANNED(sscanf)
#undef system
#define system(x) CV_BANNED(system)
#undef popen
#define popen(x, y) CV_BANNED(popen)
#undef gmtime
#define gmtime(x) CV_BANNED(gmtime)
#undef localtime
#define localtime(x) CV_BANNED(localtime)
#undef ctime
#define ctime(x) CV_BANNED(ctime)
#undef asctime
#define asctime(x) CV_BANNED(asctime)

#endif
