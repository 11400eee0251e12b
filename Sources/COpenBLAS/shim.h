#include <cblas.h>
// OpenBLAS extensions (declared in cblas.h of 0.3.x, repeated so older headers still work).
char *openblas_get_corename(void);
char *openblas_get_config(void);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int num_threads);
