/**
 * Lossless INI documents with Windows private-profile semantics, and an INI-backed configuration
 * source that binds a directory of INI files to the replicated state.
 */
module org.mailcluster.ini {
  requires transitive org.mailcluster.core;
  requires org.slf4j;

  exports org.mailcluster.ini;
  exports org.mailcluster.ini.relocate;
}
