/** What a store holds at a path. */
export type FileKind = "file" | "directory";

/** One file or folder, as `list` and `stat` describe it. */
export interface FileEntry {
  /** The last segment of `path`. */
  name: string;
  /** Relative to the store's root, `/`-separated. */
  path: string;
  type: FileKind;
  /** Bytes (0 for folders). */
  size: number;
  modifiedAt: string;
}

/**
 * A rooted namespace of files: the one interface every backend of the `files` module
 * implements (the local disk today; an S3-compatible bucket + prefix can follow). Paths
 * are relative, `/`-separated and already checked by `checkRelativePath`; an
 * implementation still keeps every operation inside its root. Folders are implicit
 * where the backend has none: `write` creates what a path needs, `list` shows what
 * holds files.
 */
export interface FileStore {
  /** The file's bytes; null when nothing is there. A folder is a 409. */
  read(path: string): Promise<Buffer | null>;
  /** Creates or replaces a file (all at once: readers see the old or the new bytes). */
  write(path: string, data: Uint8Array): Promise<FileEntry>;
  /** The entries directly inside a folder ("" = the root); null when it does not exist. */
  list(path: string): Promise<FileEntry[] | null>;
  /** Removes a file, or a folder with everything in it; false when nothing was there. */
  delete(path: string): Promise<boolean>;
  exists(path: string): Promise<boolean>;
  stat(path: string): Promise<FileEntry | null>;
}
