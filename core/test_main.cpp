#define BOOST_TEST_MODULE memolib_core
#include <boost/test/unit_test.hpp>
