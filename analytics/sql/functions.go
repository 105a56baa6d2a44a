package sql

// FuncInfo describes a function the parser treats specially.
type FuncInfo struct {
	Name  string // upper case, as in Call.Name
	Usage string // the call forms, for documentation and error messages
	Doc   string // what it computes
}

// aggregates are the aggregate functions: Parse refuses them outside the
// SELECT list and HAVING of a grouped query and inside one another, and
// allows DISTINCT only in them. The planner checks arity and types; the
// window engine implements them.
var aggregates = []FuncInfo{
	{"COUNT", "COUNT(*), COUNT(x), COUNT(DISTINCT x)", "the number of records, of non-NULL values of x, or of distinct non-NULL values of x"},
	{"SUM", "SUM(x)", "the sum of the non-NULL values; NULL when there are none"},
	{"AVG", "AVG(x)", "the mean of the non-NULL values; NULL when there are none"},
	{"MIN", "MIN(x)", "the smallest non-NULL value"},
	{"MAX", "MAX(x)", "the largest non-NULL value"},
	{"FIRST", "FIRST(x)", "the value from the first record of the window"},
	{"LAST", "LAST(x)", "the value from the last record of the window"},
	{"STDDEV", "STDDEV(x)", "the sample standard deviation of the non-NULL values"},
	{"APPROX_PERCENTILE", "APPROX_PERCENTILE(x, p)", "an approximation of the p-th quantile (0 <= p <= 1) of the non-NULL values"},
}

// analytics are the functions that keep per-partition state across
// records (and so may carry OVER (PARTITION BY …)).
var analytics = []FuncInfo{
	{"LAG", "LAG(x [, offset [, default]]) [OVER (PARTITION BY key, …)]", "the value x had offset records earlier (default 1) in the same partition, or default (NULL) before there were that many"},
}

// Aggregates describes the aggregate functions, in the order of the
// issue that introduced them. The slice is a copy.
func Aggregates() []FuncInfo { return append([]FuncInfo(nil), aggregates...) }

// Analytics describes the analytic functions (LAG). The slice is a copy.
func Analytics() []FuncInfo { return append([]FuncInfo(nil), analytics...) }

// IsAggregate reports whether name (in any case) is an aggregate function.
func IsAggregate(name string) bool { return findFunc(aggregates, name) }

// IsAnalytic reports whether name (in any case) is an analytic function.
func IsAnalytic(name string) bool { return findFunc(analytics, name) }

// IsWindow reports whether name (in any case) is a window function:
// TUMBLING, HOPPING, SLIDING, SESSION or COUNT_WINDOW. These are only
// allowed as an item of GROUP BY, which turns them into Select.Window.
func IsWindow(name string) bool { return windowKind(upper(name)) != 0 }

func findFunc(list []FuncInfo, name string) bool {
	for _, f := range list {
		if f.Name == upper(name) {
			return true
		}
	}
	return false
}
