/** INI parsing and rewriting, against ini4j and commons-configuration2 in the same run. */
package org.mailcluster.benchmarks.ini;
