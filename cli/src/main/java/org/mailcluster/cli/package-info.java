/** The mailcluster command line: demo, node agent, status, diff, relocate and clock-check. */
package org.mailcluster.cli;
