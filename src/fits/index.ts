/** FITS I/O for HEALPix maps and power spectra, and a low-level reader for any table HDU. */
export { FitsError, BUFFER_PATH } from "./errors.js";
export type { FitsFailureReason } from "./errors.js";
export { formatCard, formatReal, parseCard } from "./card.js";
export type { FitsCard, FitsReal, FitsValue, FitsValueInput } from "./card.js";
export { BLOCK_BYTES, FitsHeader } from "./header.js";
export { hduAt, parseFits } from "./hdu.js";
export type { FitsFile, FitsHdu, HduKind } from "./hdu.js";
export { readFits, decodeFits } from "./file.js";
export { findColumn, listColumns, readColumn, rowCount } from "./column.js";
export type { ColumnDtype, FitsColumn, NumericArray, ReadColumnOptions } from "./column.js";
export { decodeMap, readMap } from "./healpix-map-read.js";
export type { HealpixMap, MapArray, ReadMapOptions } from "./healpix-map-read.js";
export { encodeMap, writeMap } from "./healpix-map-write.js";
export type { EncodeMapOptions, MapDtype, WritableMap, WriteMapOptions } from "./healpix-map-write.js";
export type { CardToWrite } from "./bintable-writer.js";
export type { WriteFileOptions } from "./write-file.js";
export { CL_COLUMN_NAMES, decodeCl, encodeCl, readCl, writeCl } from "./spectra.js";
export type { PowerSpectra, ReadClOptions, WritableCl } from "./spectra.js";
