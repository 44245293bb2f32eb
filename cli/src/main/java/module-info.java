/** The mailcluster command line: demo, node agent, status, diff, relocate and clock-check. */
module org.mailcluster.cli {
  requires org.mailcluster.core;
  requires org.mailcluster.ini;
  requires org.mailcluster.transport.grpc;
  requires org.mailcluster.testkit;
}
