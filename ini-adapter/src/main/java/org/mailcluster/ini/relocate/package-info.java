/**
 * Moving a mail server's shared folders onto network storage (requirements R12–R17 and B6 in
 * docs/REQUIREMENTS.md): {@link org.mailcluster.ini.relocate.PathRelocator} plans the INI key
 * changes and applies them as one revision, {@link org.mailcluster.ini.relocate.RelocationPlan} is
 * the dry run, and {@link org.mailcluster.ini.relocate.ContentMover} copies folder contents with
 * checksums, resumably.
 */
package org.mailcluster.ini.relocate;
