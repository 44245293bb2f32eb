/** The mailcluster command line: tour, diff, and (as they land) demo, node, status, relocate. */
module org.mailcluster.cli {
  requires org.mailcluster.core;
  requires org.mailcluster.ini;
  requires info.picocli;

  // picocli reads the command classes reflectively.
  opens org.mailcluster.cli to
      info.picocli;
}
