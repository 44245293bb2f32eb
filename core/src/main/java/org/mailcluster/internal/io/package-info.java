/**
 * File input and output shared by the modules of this project, and by nothing else: {@link
 * org.mailcluster.internal.io.AtomicWriter}, the one implementation of atomic whole-file
 * replacement, and {@link org.mailcluster.internal.io.Pem}, the one reader and writer of PEM
 * certificates and private keys.
 *
 * <p>Not an API: core exports this package only to its sibling modules (the INI adapter and the
 * gRPC transport), and it may change with any release.
 */
package org.mailcluster.internal.io;
