// Debian's libpng (libpng-dev); PNGWriter calls it from C because its errors longjmp.
#include <png.h>
