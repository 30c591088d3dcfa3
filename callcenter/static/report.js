// The reports page's charts: Apache ECharts (vendored) draws the figures the server put in the
// page's JSON block (#report-charts); every word in them comes from the server (gettext). No
// inline script or style: the tooltip is drawn on the canvas (richText), not as HTML.
(function () {
  var block = document.getElementById("report-charts");
  if (!block || typeof echarts === "undefined") return;
  var data = JSON.parse(block.textContent);
  var charts = [];

  function option(chart) {
    var percent = chart.series.some(function (s) { return s.percent; });
    var yAxis = [{ type: "value", minInterval: 1 }];
    if (percent) yAxis.push({ type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" }, splitLine: { show: false } });
    return {
      aria: { enabled: true },
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText", confine: true },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: chart.labels, axisLabel: { hideOverlap: true } },
      yAxis: yAxis,
      series: chart.series.map(function (s) {
        return { name: s.name, type: s.type, data: s.data, yAxisIndex: s.percent ? 1 : 0, connectNulls: false,
                 smooth: false, symbolSize: 6, emphasis: { focus: "series" } };
      })
    };
  }

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var chart = data[el.dataset.chart];
    if (!chart) return;
    el.style.height = (window.innerWidth < 600 ? 260 : 320) + "px";  // CSSOM, which the CSP allows
    var instance = echarts.init(el, null, { renderer: "canvas", locale: data.locale });
    instance.on("finished", function () { el.dataset.rendered = "1"; });
    instance.setOption(option(chart));
    charts.push(instance);
  });

  var timer = null;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
  });
})();
