/* The exporters that push rather than serve: node_exporter's textfile
 * collector and InfluxDB. Each is an output of the pipeline (driver.h). */
#ifndef VTAX_OUTPUTS_H
#define VTAX_OUTPUTS_H

/* the pipeline's output (driver.h) */
struct output;

/* Write DIR/vtax.prom after every refresh (temp file + rename). NULL with
 * *cause when DIR is not a writable directory. */
struct output *output_textfile(const char *dir, char **cause);

/* Push line protocol to InfluxDB after every refresh, from a thread of
 * its own through a bounded queue. url is http(s)://HOST:PORT/write?db=DB
 * (v1), http(s)://HOST:PORT/api/v2/write?org=O&bucket=B (v2; the token
 * from token_file or $INFLUX_TOKEN) or udp://HOST:PORT. */
struct output *output_influx(const char *url, const char *token_file, char **cause);

/* Bounds of the InfluxDB queue. */
#define INFLUX_QUEUE_BATCHES 16
#define INFLUX_QUEUE_BYTES (8u << 20)
#define INFLUX_TIMEOUT_MS 2000

#endif
