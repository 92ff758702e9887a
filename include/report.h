/* vtax report: the tax of each guest over a recorded period (text, JSON,
 * CSV) and its chart (SVG). */
#ifndef VTAX_REPORT_H
#define VTAX_REPORT_H

/* argv[0] is "report"; returns the exit status. */
int report_main(int argc, char **argv);

#endif
