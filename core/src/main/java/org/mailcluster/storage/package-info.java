/**
 * Durable node state on the local disk: {@link org.mailcluster.storage.FileStateStore}, the
 * file-backed {@link org.mailcluster.spi.StateStore} (an append-only, checksummed log in segment
 * files plus atomically replaced snapshot and metadata files), and its {@link
 * org.mailcluster.storage.FsyncPolicy}.
 */
package org.mailcluster.storage;
