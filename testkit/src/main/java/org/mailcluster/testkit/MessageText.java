package org.mailcluster.testkit;

import java.util.List;
import org.mailcluster.spi.LogEntry;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.Request;
import org.mailcluster.transport.Response;
import org.mailcluster.transport.Subscribe;

/** Short trace forms of messages: what a reader needs to follow a run, not every field. */
final class MessageText {
  private MessageText() {}

  static String of(Request request) {
    if (request instanceof Request.Join j) {
      return "Join[" + j.node() + " " + j.productVersion() + "]";
    } else if (request instanceof Request.Ack a) {
      return "Ack[" + a.node() + " at " + a.applied() + "]";
    } else if (request instanceof Request.Ping p) {
      return "Ping[epoch " + p.epoch() + "]";
    } else if (request instanceof Request.Forward f) {
      return "Forward[" + f.service() + "]";
    } else if (request instanceof Request.StatusQuery q) {
      return "StatusQuery[epoch " + q.epoch() + "]";
    } else if (request instanceof Request.EpochGrant g) {
      return "EpochGrant[epoch "
          + g.proposed()
          + " to "
          + g.candidate()
          + (g.forced() ? ", forced" : "")
          + "]";
    } else if (request instanceof Request.Resync r) {
      return "Resync[" + r.target() + "]";
    } else if (request instanceof Request.SnapshotInstalled i) {
      return "SnapshotInstalled[" + i.revision() + "]";
    } else if (request instanceof Request.StateCopy c) {
      return "StateCopy[page " + c.page() + "]";
    } else if (request instanceof Request.ZoneQuery) {
      return "ZoneQuery";
    } else if (request instanceof Request.ProbeRead p) {
      return "ProbeRead[" + p.path() + "]";
    } else if (request instanceof Request.StatusReport r) {
      return "StatusReport["
          + r.certificates().size()
          + " certificate"
          + (r.certificates().size() == 1 ? "" : "s")
          + (r.screening().isPresent() ? ", screening" : "")
          + "]";
    }
    return request.toString();
  }

  static String of(Response response) {
    if (response instanceof Response.Joined j) {
      return "Joined[by " + j.primary() + " at " + j.latest() + "]";
    } else if (response instanceof Response.Acknowledged) {
      return "Acknowledged";
    } else if (response instanceof Response.Pong p) {
      return "Pong[epoch " + p.epoch() + "]";
    } else if (response instanceof Response.Forwarded) {
      return "Forwarded";
    } else if (response instanceof Response.Status st) {
      return "Status["
          + st.role()
          + " at "
          + st.revision()
          + ", epoch "
          + st.epoch()
          + (st.hearsPrimary() ? ", hears its primary" : "")
          + "]";
    } else if (response instanceof Response.EpochGranted g) {
      return "EpochGranted[epoch " + g.granted() + ", at " + g.revision() + "]";
    } else if (response instanceof Response.Accepted) {
      return "Accepted";
    } else if (response instanceof Response.Zone z) {
      return "Zone[" + z.zone() + " " + z.offset() + "]";
    } else if (response instanceof Response.StatePage p) {
      return "StatePage[" + p.revision() + " #" + p.page() + (p.last() ? " last" : "") + "]";
    } else if (response instanceof Response.ProbeToken) {
      return "ProbeToken";
    }
    return response.toString();
  }

  static String of(Subscribe subscribe) {
    return "Subscribe[" + subscribe.node() + " after " + subscribe.lastApplied() + "]";
  }

  static String of(ReplicationMessage message) {
    if (message instanceof ReplicationMessage.Entries e) {
      List<LogEntry> entries = e.entries();
      return "Entries["
          + entries.get(0).revision()
          + ".."
          + entries.get(entries.size() - 1).revision()
          + "]";
    } else if (message instanceof ReplicationMessage.SnapshotChunk c) {
      return "SnapshotChunk[" + c.revision() + " #" + c.index() + (c.last() ? " last" : "") + "]";
    } else if (message instanceof ReplicationMessage.Heartbeat h) {
      return "Heartbeat[" + h.latest() + "]";
    }
    return message.toString();
  }
}
