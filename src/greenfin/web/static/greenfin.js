// Render every element carrying a data-chart attribute (an ECharts option as JSON).
// Kept in a file rather than inline so the Content-Security-Policy can forbid inline scripts.
document.querySelectorAll("[data-chart]").forEach(function (el) {
  var chart = echarts.init(el);
  chart.setOption(JSON.parse(el.getAttribute("data-chart")));
  el.dataset.rendered = "true";
  window.addEventListener("resize", function () { chart.resize(); });
});
