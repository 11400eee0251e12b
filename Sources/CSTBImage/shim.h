// Debian's libstb ships the implementations compiled into libstb.so; only declarations here.
#include <stb_image.h>
#include <stb_image_write.h>
