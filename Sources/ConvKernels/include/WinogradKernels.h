#ifndef SRLAB_WINOGRAD_KERNELS_H
#define SRLAB_WINOGRAD_KERNELS_H

/// Winograd F(4×4, 3×3)'s tile transforms over all `c` (or `o`) channels, a multiple of 4, in the
/// layouts of Winograd.swift's `transformInputTile`, `transformInputGradientTile`,
/// `transformOutputTile` and `transformOutputGradientTile` (same arithmetic, same bits), 16 channels
/// per instruction at level 2, 8 at level 1, 4 (SSE) for the rest and at level 0.
/// The input tile (6×6) is read from an image of `height` × `width` pixels (rows `rowStride` apart,
/// pixels `c` apart) at its corner (`top`, `left`), which may lie outside it: the convolution's input
/// is the image padded by `padding` on every side, with copies of the nearest edge pixel
/// (`replicate` 1) or zeros (0), and past that padded input the tile reads zeros. Only pixels of
/// the image are addressed. The output-gradient tile (4×4) at its corner `dy` is read only in its
/// rows rowsBegin..<rowsEnd and columns columnsBegin..<columnsEnd (inside the output), zeros elsewhere.
void srlab_f4x3_input_tile(int level, const float *_Nonnull image, long rowStride, long c, int top, int left, int height,
                           int width, int padding, int replicate, float *_Nonnull v, long pointStride);
void srlab_f4x3_input_adjoint_tile(int level, const float *_Nonnull dv, long pointStride, long c, float *_Nonnull dd);
/// `srlab_f4x3_input_adjoint_tile` added into the image pixels the same tile of
/// `srlab_f4x3_input_tile` reads (the overlap-add, and a padding's gradient into the edge pixel it
/// copies, or nowhere for zeros); nothing else is touched.
void srlab_f4x3_input_adjoint_add_tile(int level, const float *_Nonnull dv, long pointStride, long c,
                                       float *_Nonnull image, long rowStride, int top, int left, int height, int width,
                                       int padding, int replicate);
void srlab_f4x3_output_tile(int level, const float *_Nonnull m, long pointStride, long o, float *_Nonnull y);
/// `srlab_f4x3_output_tile` plus `bias` (per channel, when given; the same sum as a separate pass)
/// stored straight into the output at the tile's corner `y`, rows `rowStride` apart, pixels `o`
/// apart: the tile's rows 0..<rowsEnd and columns 0..<columnsEnd, the part inside the output.
void srlab_f4x3_output_tile_store(int level, const float *_Nonnull m, long pointStride, long o, const float *_Nullable bias,
                                  float *_Nonnull y, long rowStride, int rowsEnd, int columnsEnd);
void srlab_f4x3_output_adjoint_tile(int level, const float *_Nonnull dy, long rowStride, long o, int rowsBegin,
                                    int rowsEnd, int columnsBegin, int columnsEnd, float *_Nonnull dm, long pointStride);

#endif
